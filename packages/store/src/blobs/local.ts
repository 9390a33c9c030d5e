import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, open, readdir, rename, rm, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AgoraError } from '@agora/core';
import {
  chunksOf,
  DEFAULT_MAX_BLOB_BYTES,
  isSha256,
  type BlobInfo,
  type BlobStore,
  type ByteRange,
  type ByteSource,
  type PutOptions,
  type PutResult,
} from './blob-store.ts';

const UPLOAD_ID_RE = /^[0-9a-f]{32}$/;

const tooLarge = (limit: number, what = 'upload') =>
  new AgoraError('payload_too_large', `${what} is over the limit of ${limit} bytes`, { limit });

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

/** Passes chunks through while hashing and counting them; throws once the count passes `maxBytes`. */
async function* metered(src: ByteSource, maxBytes: number, state: { size: number; hash: ReturnType<typeof createHash> | null }, what: string) {
  for await (const chunk of chunksOf(src)) {
    state.size += chunk.byteLength;
    if (state.size > maxBytes) throw tooLarge(maxBytes, what);
    state.hash?.update(chunk);
    yield chunk;
  }
}

async function hashFile(file: string): Promise<BlobInfo> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const c of createReadStream(file)) {
    hash.update(c as Buffer);
    size += (c as Buffer).byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Blobs in a local directory: `blobs/ab/<sha256>`, written to `tmp/` while hashing and then
 * renamed into place, so a blob is either whole or absent, and identical bytes are stored once.
 * Blobs are read-only once in place. Resumable uploads live in `uploads/<id>` until completed;
 * their bookkeeping (who owns them) is the caller's, in the database. See decision 0051.
 */
export class LocalBlobStore implements BlobStore {
  readonly root: string;
  readonly maxBlobBytes: number;
  private readonly writing = new Set<string>();

  constructor(root: string, opts: { maxBlobBytes?: number } = {}) {
    this.root = root;
    this.maxBlobBytes = opts.maxBlobBytes ?? DEFAULT_MAX_BLOB_BYTES;
  }

  async init(): Promise<this> {
    for (const d of ['blobs', 'tmp', 'uploads']) await mkdir(join(this.root, d), { recursive: true });
    await this.cleanStale();
    return this;
  }

  /**
   * Removes leftovers of writes that died mid-way (a crash between write and rename): entries of
   * tmp/ older than maxAgeMs, old enough that no live request of any process sharing this
   * directory can still own them. Resumable uploads are the caller's to expire.
   */
  async cleanStale(maxAgeMs = 24 * 3600 * 1000): Promise<number> {
    let removed = 0;
    for (const name of await readdir(join(this.root, 'tmp'))) {
      const p = join(this.root, 'tmp', name);
      const st = await stat(p).catch(() => null);
      if (st && Date.now() - st.mtimeMs > maxAgeMs) {
        await rm(p, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Where a blob lives (whether or not it exists): this implementation's detail, for its own tests. */
  path(sha256: string): string {
    if (!isSha256(sha256)) throw new AgoraError('validation_failed', 'an artifact hash is 64 lowercase hex digits (sha256)', { sha256 });
    return join(this.root, 'blobs', sha256.slice(0, 2), sha256);
  }

  async stat(sha256: string): Promise<BlobInfo | null> {
    try {
      return { sha256, size: (await stat(this.path(sha256))).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async get(sha256: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>> {
    if (!(await this.stat(sha256))) throw new AgoraError('not_found', `artifact ${sha256} not found`, { sha256 });
    return Readable.toWeb(createReadStream(this.path(sha256), range ?? {})) as ReadableStream<Uint8Array>;
  }

  async read(sha256: string, maxBytes: number): Promise<Uint8Array> {
    const info = await this.stat(sha256);
    if (!info) throw new AgoraError('not_found', `artifact ${sha256} not found`, { sha256 });
    if (info.size > maxBytes) throw tooLarge(maxBytes, `artifact ${sha256}`);
    const parts: Buffer[] = [];
    for await (const c of createReadStream(this.path(sha256))) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }

  async delete(sha256: string): Promise<boolean> {
    try {
      await unlink(this.path(sha256));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async put(src: ByteSource, opts: PutOptions = {}): Promise<PutResult> {
    const maxBytes = opts.maxBytes ?? this.maxBlobBytes;
    const tmp = join(this.root, 'tmp', `${Date.now()}-${randomBytes(8).toString('hex')}`);
    const state = { size: 0, hash: createHash('sha256') };
    await writeNewFile(metered(src, maxBytes, state, 'upload'), tmp);
    return this.adopt(tmp, state.hash.digest('hex'), state.size, opts.expectSha256, !opts.durableElsewhere);
  }

  // ---- resumable uploads ----

  async createUpload(): Promise<string> {
    const id = randomBytes(16).toString('hex');
    const fh = await open(this.uploadPath(id), 'wx', 0o600);
    await fh.close();
    return id;
  }

  async uploadReceived(id: string): Promise<number> {
    try {
      return (await stat(this.uploadPath(id))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new AgoraError('not_found', `upload ${id} not found (unknown, completed or aborted)`);
      throw err;
    }
  }

  async appendUpload(id: string, offset: number, src: ByteSource, opts: { maxBytes?: number } = {}): Promise<number> {
    const maxBytes = opts.maxBytes ?? this.maxBlobBytes;
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

  async completeUpload(id: string, sha256: string): Promise<PutResult> {
    if (!isSha256(sha256)) throw new AgoraError('validation_failed', 'sha256 must be 64 lowercase hex digits');
    if (this.writing.has(id)) throw new AgoraError('conflict', `a chunk of upload ${id} is still being written`);
    this.writing.add(id);
    try {
      await this.uploadReceived(id);
      const actual = await hashFile(this.uploadPath(id));
      if (actual.sha256 !== sha256)
        throw new AgoraError('unprocessable', `upload ${id} hashes to ${actual.sha256}, not ${sha256}`, { expected: sha256, actual: actual.sha256, size: actual.size });
      return await this.adopt(this.uploadPath(id), actual.sha256, actual.size);
    } finally {
      this.writing.delete(id);
    }
  }

  async abortUpload(id: string): Promise<void> {
    await rm(this.uploadPath(id), { force: true });
  }

  // ---- internals ----

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
    if (await this.stat(sha256)) {
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

export async function openLocalBlobStore(root: string, opts: { maxBlobBytes?: number } = {}): Promise<LocalBlobStore> {
  return new LocalBlobStore(root, opts).init();
}
