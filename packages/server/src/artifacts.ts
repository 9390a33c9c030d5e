import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, type ReadStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, open, readdir, rename, rm, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AgoraError } from '@agora/core';

/** Anything bytes can come from: a buffer, a Node stream, a web stream, an async iterable of chunks. */
export type ByteSource = Uint8Array | Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface PutResult {
  sha256: string;
  size: number;
  /** False when the store already held these bytes (deduplicated). */
  created: boolean;
}

export const SHA256_RE = /^[0-9a-f]{64}$/;
const UPLOAD_ID_RE = /^[0-9a-f]{32}$/;
/** Default ceiling for one large artifact (a checkpoint); the server may pass another. */
export const DEFAULT_MAX_ARTIFACT_BYTES = 20 * 1024 ** 3;

export const isSha256 = (s: string) => SHA256_RE.test(s);

const tooLarge = (limit: number, what = 'upload') =>
  new AgoraError('payload_too_large', `${what} is over the limit of ${limit} bytes`, { limit });

function chunks(src: ByteSource): AsyncIterable<Uint8Array> {
  if (src instanceof Uint8Array) return (async function* () { yield src; })();
  return src as AsyncIterable<Uint8Array>;
}

/**
 * Writes a new file (mode 0600) from a byte stream; on any failure the file is gone when this rejects.
 * The file is opened before the pipeline starts: a write stream that opens its own file can create
 * it after a failing source has already rejected the pipeline, behind the cleanup's back.
 */
export async function writeNewFile(src: AsyncIterable<Uint8Array>, file: string): Promise<void> {
  const fh = await open(file, 'wx', 0o600);
  try {
    await pipeline(src, fh.createWriteStream());
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(file, { force: true });
    throw err;
  }
}

/** Passes chunks through while hashing and counting them; throws once `start + count` passes `maxBytes`. */
async function* metered(src: ByteSource, maxBytes: number, state: { size: number; hash: ReturnType<typeof createHash> | null }, what: string) {
  for await (const chunk of chunks(src)) {
    state.size += chunk.byteLength;
    if (state.size > maxBytes) throw tooLarge(maxBytes, what);
    state.hash?.update(chunk);
    yield chunk;
  }
}

/**
 * Content-addressed blobs in a local directory: `blobs/ab/<sha256>`, written to `tmp/` while
 * hashing and then renamed into place, so a blob is either whole or absent, and identical bytes
 * are stored once. Blobs are read-only once in place. Resumable uploads live in `uploads/<id>`
 * until completed; their bookkeeping (who owns them) is the caller's, in the database.
 */
export class ArtifactStore {
  readonly root: string;
  readonly maxArtifactBytes: number;
  private readonly writing = new Set<string>();

  constructor(root: string, opts: { maxArtifactBytes?: number } = {}) {
    this.root = root;
    this.maxArtifactBytes = opts.maxArtifactBytes ?? DEFAULT_MAX_ARTIFACT_BYTES;
  }

  async init(): Promise<this> {
    for (const d of ['blobs', 'tmp', 'uploads', 'work']) await mkdir(join(this.root, d), { recursive: true });
    await this.cleanStale();
    return this;
  }

  /**
   * Removes leftovers of requests that died mid-way (a crash between write and rename): entries of
   * tmp/ and work/ older than maxAgeMs. Old enough that no live request of any server process
   * sharing this directory can still own them. Resumable uploads are the caller's to expire.
   */
  async cleanStale(maxAgeMs = 24 * 3600 * 1000): Promise<number> {
    let removed = 0;
    for (const d of ['tmp', 'work']) {
      for (const name of await readdir(join(this.root, d))) {
        const p = join(this.root, d, name);
        const st = await stat(p).catch(() => null);
        if (st && Date.now() - st.mtimeMs > maxAgeMs) {
          await rm(p, { recursive: true, force: true });
          removed++;
        }
      }
    }
    return removed;
  }

  /** Where a blob lives (whether or not it exists). Throws on anything but 64 lowercase hex digits. */
  path(sha256: string): string {
    if (!isSha256(sha256)) throw new AgoraError('validation_failed', 'an artifact hash is 64 lowercase hex digits (sha256)', { sha256 });
    return join(this.root, 'blobs', sha256.slice(0, 2), sha256);
  }

  async has(sha256: string): Promise<boolean> {
    return (await this.size(sha256)) !== null;
  }

  /** The blob's size in bytes, or null when absent. */
  async size(sha256: string): Promise<number | null> {
    try {
      return (await stat(this.path(sha256))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** A read stream over a blob (optionally a byte range, inclusive end). Throws not_found when absent. */
  async open(sha256: string, range: { start?: number; end?: number } = {}): Promise<ReadStream> {
    if (!(await this.has(sha256))) throw new AgoraError('not_found', `artifact ${sha256} not found`, { sha256 });
    return createReadStream(this.path(sha256), range);
  }

  /** The whole blob in memory, refusing blobs over maxBytes (for small files: diffs, file views). */
  async read(sha256: string, maxBytes: number): Promise<Buffer> {
    const size = await this.size(sha256);
    if (size === null) throw new AgoraError('not_found', `artifact ${sha256} not found`, { sha256 });
    if (size > maxBytes) throw tooLarge(maxBytes, `artifact ${sha256}`);
    const parts: Buffer[] = [];
    for await (const c of createReadStream(this.path(sha256))) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }

  /**
   * Stores bytes; returns their hash and size. Stops reading as soon as maxBytes is passed
   * (payload_too_large) and leaves nothing behind. With expectSha256, refuses other bytes (unprocessable).
   */
  async put(src: ByteSource, opts: { maxBytes?: number; expectSha256?: string } = {}): Promise<PutResult> {
    const maxBytes = opts.maxBytes ?? this.maxArtifactBytes;
    const tmp = this.tmpPath();
    const state = { size: 0, hash: createHash('sha256') };
    await writeNewFile(metered(src, maxBytes, state, 'upload'), tmp);
    return this.adopt(tmp, state.hash.digest('hex'), state.size, opts.expectSha256);
  }

  /**
   * Stores a file already on this disk: moved in when `move`, else copied. `known` skips hashing
   * when the caller computed the hash itself from the same bytes (never from a client's claim);
   * such files are not fsynced one by one (see decision 0051: a bundle's files are also inside its
   * fsynced canonical tar.gz).
   */
  async putFile(file: string, opts: { move?: boolean; maxBytes?: number; known?: { sha256: string; size: number } } = {}): Promise<PutResult> {
    if (!opts.move) return this.put(createReadStream(file), opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes });
    if (opts.known) return this.adopt(file, opts.known.sha256, opts.known.size, undefined, false);
    const hash = createHash('sha256');
    let size = 0;
    for await (const c of createReadStream(file)) {
      hash.update(c as Buffer);
      size += (c as Buffer).byteLength;
    }
    return this.adopt(file, hash.digest('hex'), size);
  }

  /** A fresh scratch directory under the store (same filesystem, so renames into place are atomic). */
  async workDir(prefix = 'w-'): Promise<{ path: string; dispose(): Promise<void> }> {
    const path = await mkdtemp(join(this.root, 'work', prefix));
    return { path, dispose: () => rm(path, { recursive: true, force: true }) };
  }

  // ---- resumable uploads: create, append at the current offset, complete with the expected hash ----

  /** Starts an upload; the id is 128 random bits. */
  async createUpload(): Promise<string> {
    const id = randomBytes(16).toString('hex');
    const fh = await open(this.uploadPath(id), 'wx', 0o600);
    await fh.close();
    return id;
  }

  /** Bytes received so far; not_found for an unknown (or completed, or aborted) upload. */
  async uploadReceived(id: string): Promise<number> {
    try {
      return (await stat(this.uploadPath(id))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AgoraError('not_found', `upload ${id} not found (unknown, completed or aborted)`);
      throw err;
    }
  }

  /**
   * Appends a chunk that must start at the bytes received so far (conflict otherwise, with
   * `received` in details so the client can resume). A dropped connection keeps what arrived;
   * a chunk that would pass maxBytes is cut back entirely. One writer per upload at a time.
   */
  async appendUpload(id: string, offset: number, src: ByteSource, opts: { maxBytes?: number } = {}): Promise<number> {
    const maxBytes = opts.maxBytes ?? this.maxArtifactBytes;
    const file = this.uploadPath(id);
    if (this.writing.has(id)) throw new AgoraError('conflict', `another chunk of upload ${id} is being written; retry when it ends`);
    this.writing.add(id);
    try {
      const received = await this.uploadReceived(id);
      if (offset !== received)
        throw new AgoraError('conflict', `upload ${id} has ${received} bytes; send the chunk starting at offset ${received}`, { received });
      const state = { size: received, hash: null };
      // Written chunk by chunk (not piped), so every byte that arrived before a dropped connection is on disk.
      const fh = await open(file, 'a');
      try {
        for await (const chunk of metered(src, maxBytes, state, `upload ${id}`)) await fh.write(chunk);
        await fh.close();
      } catch (err) {
        await fh.close().catch(() => {});
        if (err instanceof AgoraError) {
          await truncate(file, received);
          throw err;
        }
        // A broken connection: keep the bytes that arrived; the client resumes from uploadReceived.
        const now = await this.uploadReceived(id);
        throw new AgoraError('bad_request', `upload ${id} chunk was cut short; ${now} bytes are stored, resume from there`, { received: now });
      }
      return state.size;
    } finally {
      this.writing.delete(id);
    }
  }

  /** Verifies the whole upload against sha256 and moves it into the store. A mismatch keeps the upload for inspection or abort. */
  async completeUpload(id: string, sha256: string): Promise<PutResult> {
    if (!isSha256(sha256)) throw new AgoraError('validation_failed', 'sha256 must be 64 lowercase hex digits');
    if (this.writing.has(id)) throw new AgoraError('conflict', `a chunk of upload ${id} is still being written`);
    this.writing.add(id);
    try {
      await this.uploadReceived(id);
      const hash = createHash('sha256');
      let size = 0;
      for await (const c of createReadStream(this.uploadPath(id))) {
        hash.update(c as Buffer);
        size += (c as Buffer).byteLength;
      }
      const actual = hash.digest('hex');
      if (actual !== sha256)
        throw new AgoraError('unprocessable', `upload ${id} hashes to ${actual}, not ${sha256}`, { expected: sha256, actual, size });
      return await this.adopt(this.uploadPath(id), actual, size);
    } finally {
      this.writing.delete(id);
    }
  }

  async abortUpload(id: string): Promise<void> {
    await rm(this.uploadPath(id), { force: true });
  }

  // ---- internals ----

  private tmpPath(): string {
    return join(this.root, 'tmp', `${Date.now()}-${randomBytes(8).toString('hex')}`);
  }

  private uploadPath(id: string): string {
    if (!UPLOAD_ID_RE.test(id)) throw new AgoraError('not_found', 'upload not found (an upload id is 32 hex digits)');
    return join(this.root, 'uploads', id);
  }

  /** Moves a fully written file to its content address, or drops it when the blob exists already. */
  private async adopt(file: string, sha256: string, size: number, expect?: string, sync = true): Promise<PutResult> {
    if (expect && expect !== sha256) {
      await rm(file, { force: true });
      throw new AgoraError('unprocessable', `the bytes hash to ${sha256}, not ${expect}`, { expected: expect, actual: sha256, size });
    }
    const dest = this.path(sha256);
    if (await this.has(sha256)) {
      await unlink(file).catch(() => {});
      return { sha256, size, created: false };
    }
    await mkdir(join(this.root, 'blobs', sha256.slice(0, 2)), { recursive: true });
    if (sync) {
      const fh = await open(file, 'r');
      await fh.sync().catch(() => {});
      await fh.close();
    }
    await chmod(file, 0o444);
    // rename replaces atomically: a concurrent writer of the same bytes is harmless.
    await rename(file, dest);
    return { sha256, size, created: true };
  }
}

export async function openArtifactStore(root: string, opts: { maxArtifactBytes?: number } = {}): Promise<ArtifactStore> {
  return new ArtifactStore(root, opts).init();
}
