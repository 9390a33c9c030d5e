import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { AgoraError, byPath, normaliseArchivePath, pathSetProblems, quoted, type BundleEntry } from '@agora/core';
import { create as tarCreate, Parser, type ReadEntry } from 'tar';
import { writeNewFile, type ByteSource } from './artifacts.ts';

/**
 * Untrusted bundles, in and out. A tar.gz is read entry by entry and every file is written by
 * this code (never by an extractor) under a fresh folder, after its path passed the rules of
 * core/submissions/paths.ts; nothing but plain files and folders is accepted, so no link can lead
 * a write outside. Bytes are counted as they decompress: a gzip bomb stops at the limit.
 */

export interface BundleLimits {
  /** Sum of the file sizes (uncompressed); the compressed upload is held to the same number. */
  maxBytes: number;
  maxFiles: number;
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const bad = (message: string, problems: string[] = [message]) =>
  new AgoraError('unprocessable', message, { problems: problems.slice(0, 20) });

/** Writes a request body to a file, refusing (payload_too_large) once it passes maxBytes. */
export async function saveBody(src: ByteSource, file: string, maxBytes: number): Promise<number> {
  let size = 0;
  async function* limited() {
    for await (const chunk of src as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new AgoraError('payload_too_large', `the bundle is over the limit of ${maxBytes} bytes`, { limit: maxBytes });
      yield chunk;
    }
  }
  await writeNewFile(limited(), file);
  return size;
}

/** Feeds the decompressed archive to a tar parser, stopping past the bomb limit or when `stop()` says so. */
async function parseArchive(archive: string, maxTarBytes: number, onEntry: (e: ReadEntry) => void, stop: () => AgoraError | null): Promise<void> {
  const parser = new Parser({ strict: true });
  parser.on('entry', onEntry);
  const done = new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', (err: Error) => reject(bad(`not a valid tar archive: ${err.message}`)));
  });
  done.catch(() => {});
  const gunzip = createReadStream(archive).pipe(createGunzip());
  let tarBytes = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      tarBytes += chunk.byteLength;
      if (tarBytes > maxTarBytes) throw new AgoraError('payload_too_large', `the archive decompresses to more than ${maxTarBytes} bytes`, { limit: maxTarBytes });
      const stopped = stop();
      if (stopped) throw stopped;
      if (!parser.write(chunk)) await new Promise<void>((r) => parser.once('drain', () => r()));
    }
  } catch (err) {
    if (err instanceof AgoraError) throw err;
    throw bad(`not a valid gzip stream: ${(err as Error).message}`);
  } finally {
    gunzip.destroy();
  }
  parser.end();
  await done;
  const stopped = stop();
  if (stopped) throw stopped;
}

/**
 * Unpacks an untrusted tar.gz into `dest` (an empty folder) and returns its files with their
 * hashes, sorted by path. Refuses (422 unprocessable, details.problems) absolute paths, "..",
 * links, devices and FIFOs, duplicate or case-colliding names, a file used as a folder, anything
 * that is not gzip or not tar; 413 past maxFiles files or maxBytes of content. Two passes: the
 * first only reads headers and checks everything, the second writes, so nothing is written from
 * an archive that breaks a rule.
 */
export async function unpackTarGz(archive: string, dest: string, limits: BundleLimits): Promise<BundleEntry[]> {
  // Headers and padding cost at most 1.5 KB per entry on top of the content; beyond that the archive is padding or a bomb.
  const maxTarBytes = limits.maxBytes + (limits.maxFiles * 2 + 16) * 1536 + 1024 * 1024;
  let failure: AgoraError | null = null;
  const fail = (e: AgoraError) => void (failure ??= e);
  const stop = () => failure;

  // Pass 1: headers only.
  const paths: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  let dirs = 0;
  await parseArchive(archive, maxTarBytes, (entry) => {
    entry.resume();
    if (failure) return;
    const type = entry.type;
    if (type === 'Directory') {
      // Folders are implied by file paths; only counted, so that millions of them cannot be sent.
      if (++dirs > limits.maxFiles) fail(new AgoraError('payload_too_large', `more than ${limits.maxFiles} folders`, { limit: limits.maxFiles }));
      return;
    }
    if (!FILE_TYPES.has(type)) return fail(bad(`${quoted(entry.path)}: ${type} entries are not allowed; a bundle holds plain files and folders only`));
    const norm = normaliseArchivePath(entry.path);
    if ('problem' in norm) return fail(bad(norm.problem));
    if (seen.has(norm.path)) return fail(bad(`${quoted(norm.path)}: appears twice in the archive`));
    seen.add(norm.path);
    paths.push(norm.path);
    if (paths.length > limits.maxFiles)
      return fail(new AgoraError('payload_too_large', `the bundle has more than ${limits.maxFiles} files`, { limit: limits.maxFiles }));
    total += entry.size;
    if (total > limits.maxBytes)
      return fail(new AgoraError('payload_too_large', `the bundle's files add up to more than ${limits.maxBytes} bytes`, { limit: limits.maxBytes }));
  }, stop);
  if (!paths.length) throw bad('the bundle has no files');
  const problems = pathSetProblems(paths);
  if (problems.length) throw bad(problems[0]!, problems);

  // Pass 2: the same archive, now known to be well-formed, written file by file.
  const files: BundleEntry[] = [];
  const writes: Promise<void>[] = [];
  const streams: WriteStream[] = [];
  let written = 0;
  const pass2 = parseArchive(archive, maxTarBytes, (entry) => {
    if (failure || !FILE_TYPES.has(entry.type)) return void entry.resume();
    const norm = normaliseArchivePath(entry.path);
    if ('problem' in norm || !seen.delete(norm.path)) {
      // The archive changed between passes: refuse.
      fail(bad('the archive changed while it was read'));
      return void entry.resume();
    }
    const path = norm.path;
    const executable = ((entry.mode ?? 0o644) & 0o111) !== 0;
    const target = join(dest, path);
    const hash = createHash('sha256');
    let size = 0;
    mkdirSync(dirname(target), { recursive: true });
    const ws = createWriteStream(target, { flags: 'wx', mode: 0o600 });
    streams.push(ws);
    writes.push(new Promise<void>((resolve) => {
      ws.on('close', resolve);
      ws.on('error', (err: NodeJS.ErrnoException) => {
        fail(bad(`${quoted(path)}: cannot be written (${err.code ?? 'error'})`));
        entry.resume();
      });
    }));
    entry.on('data', (c: Buffer) => {
      hash.update(c);
      size += c.byteLength;
      written += c.byteLength;
      if (written > limits.maxBytes) fail(new AgoraError('payload_too_large', `the bundle's files add up to more than ${limits.maxBytes} bytes`, { limit: limits.maxBytes }));
      if (!ws.destroyed && !ws.write(c)) {
        entry.pause();
        ws.once('drain', () => entry.resume());
      }
    });
    entry.on('end', () => {
      ws.end();
      files.push({ path, sha256: hash.digest('hex'), size, executable });
    });
  }, stop);
  try {
    await pass2;
  } catch (err) {
    for (const ws of streams) ws.destroy();
    throw err;
  } finally {
    await Promise.allSettled(writes);
  }
  if (failure) throw failure;
  return byPath(files);
}

/** Writes inline files (already validated paths) into `dest`; returns them hashed and sorted. */
export async function writeInlineFiles(
  dest: string,
  inline: { path: string; content: string; encoding: 'utf8' | 'base64'; executable: boolean }[],
  limits: BundleLimits,
): Promise<BundleEntry[]> {
  const problems = pathSetProblems(inline.map((f) => f.path));
  if (problems.length) throw bad(problems[0]!, problems);
  if (inline.length > limits.maxFiles)
    throw new AgoraError('payload_too_large', `the bundle has more than ${limits.maxFiles} files`, { limit: limits.maxFiles });
  const files: BundleEntry[] = [];
  let total = 0;
  for (const f of inline) {
    if (f.encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(f.content.replace(/\s+/g, '')))
      throw new AgoraError('validation_failed', `${quoted(f.path)}: content is not valid base64`);
    const bytes = Buffer.from(f.content, f.encoding === 'base64' ? 'base64' : 'utf8');
    total += bytes.byteLength;
    if (total > limits.maxBytes)
      throw new AgoraError('payload_too_large', `the bundle's files add up to more than ${limits.maxBytes} bytes`, { limit: limits.maxBytes });
    const target = join(dest, f.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes, { flag: 'wx', mode: 0o600 });
    files.push({ path: f.path, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength, executable: f.executable });
  }
  return byPath(files);
}

/**
 * The canonical bundle: a gzipped tar of exactly these files in path order, modes 0644/0755,
 * no owners, fixed times. The same files always give the same bytes, hence the same hash.
 */
export async function packCanonical(dir: string, files: readonly BundleEntry[], out: string): Promise<void> {
  for (const f of files) await chmod(join(dir, f.path), f.executable ? 0o755 : 0o644);
  await tarCreate(
    { gzip: { level: 9 }, file: out, cwd: dir, portable: true, mtime: new Date(0), noDirRecurse: true, follow: false },
    byPath(files).map((f) => f.path),
  );
}
