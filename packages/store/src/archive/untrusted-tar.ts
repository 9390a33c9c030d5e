import { createHash } from 'node:crypto';
import { chmodSync, createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { AgoraError, byPath, normaliseArchivePath, pathSetProblems, quoted, type BundleEntry } from '@agora/core';
import { Parser, type ReadEntry } from 'tar';

/**
 * The one reader of untrusted tar.gz archives, shared by the server (uploaded bundles) and the
 * runner (the bundle of a job): decision 0052. Every file is written by this code, never by an
 * extractor, under a fresh folder, after its path passed core/submissions/paths.ts; nothing but
 * plain files and folders is accepted, so no link can lead a write outside. Bytes are counted as
 * they decompress: a gzip bomb stops at the limit. It loads no database driver (the runner
 * imports it as `@agora/store/archive`).
 */

export interface ArchiveLimits {
  /** Sum of the file sizes (uncompressed). */
  maxBytes: number;
  /** Files; folders are counted apart against the same number. */
  maxFiles: number;
}

/** Opens the archive's bytes from the start; called once per pass. */
export type ArchiveSource = () => AsyncIterable<Uint8Array> | ReadableStream<Uint8Array> | Promise<AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>>;

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

const refused = (message: string, problems: string[] = [message]) =>
  new AgoraError('unprocessable', message, { problems: problems.slice(0, 20) });

/**
 * Why one archive entry is refused, or null: plain files and folders only, files at a path that
 * normalises to an acceptable bundle path (relative, no "..", no control characters, ...).
 */
export function archiveEntryProblem(type: string, rawPath: string): string | null {
  // A folder entry is never created as such (folders are implied by file paths), so its path cannot lead anywhere.
  if (type === 'Directory') return null;
  if (!FILE_TYPES.has(type)) return `${quoted(rawPath)}: ${type} entries are not allowed; a bundle holds plain files and folders only`;
  const norm = normaliseArchivePath(rawPath);
  return 'problem' in norm ? norm.problem : null;
}

/** Feeds the decompressed archive to a tar parser, stopping past the bomb limit or when `stop()` says so. */
async function parseArchive(open: ArchiveSource, maxTarBytes: number, onEntry: (e: ReadEntry) => void, stop: () => AgoraError | null): Promise<void> {
  const parser = new Parser({ strict: true });
  parser.on('entry', onEntry);
  const done = new Promise<void>((resolve, reject) => {
    parser.on('end', () => resolve());
    parser.on('error', (err: Error) => reject(refused(`not a readable tar.gz (not a valid tar archive: ${err.message})`)));
  });
  done.catch(() => {});
  const src = await open();
  const gunzip = Readable.from(src as AsyncIterable<Uint8Array>).pipe(createGunzip());
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
    throw refused(`not a readable tar.gz (not a gzip stream: ${(err as Error).message})`);
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
 * hashes, sorted by path. Files are written 0644, or 0755 when the archive marks them executable
 * (no set-uid, set-gid or sticky bits); folders 0755. Refuses (422 unprocessable,
 * details.problems) absolute paths, "..", links, devices and FIFOs, duplicate or case-colliding
 * names, a file used as a folder, anything that is not gzip or not tar, an archive with no files;
 * 413 past maxFiles files or maxBytes of content. Two passes: the first only reads headers and
 * checks everything, the second writes, so nothing is written from an archive that breaks a rule.
 * On a refusal `dest` may hold part of the files: the caller disposes of it.
 */
export async function unpackUntrustedTarGz(open: ArchiveSource, dest: string, limits: ArchiveLimits): Promise<BundleEntry[]> {
  // Headers and padding cost at most 1.5 KB per entry on top of the content; beyond that the archive is padding or a bomb.
  const maxTarBytes = limits.maxBytes + (limits.maxFiles * 2 + 16) * 1536 + 1024 * 1024;
  let failure: AgoraError | null = null;
  const fail = (e: AgoraError) => void (failure ??= e);
  const stop = () => failure;
  const tooManyBytes = () => new AgoraError('payload_too_large', `the bundle's files add up to more than ${limits.maxBytes} bytes`, { limit: limits.maxBytes });

  // Pass 1: headers only.
  const paths: string[] = [];
  const seen = new Set<string>();
  let total = 0;
  let dirs = 0;
  await parseArchive(open, maxTarBytes, (entry) => {
    entry.resume();
    if (failure) return;
    const problem = archiveEntryProblem(entry.type, entry.path);
    if (problem) return fail(refused(problem));
    if (entry.type === 'Directory') {
      // Folders are implied by file paths; only counted, so that millions of them cannot be sent.
      if (++dirs > limits.maxFiles) fail(new AgoraError('payload_too_large', `more than ${limits.maxFiles} folders`, { limit: limits.maxFiles }));
      return;
    }
    const norm = normaliseArchivePath(entry.path) as { path: string };
    if (seen.has(norm.path)) return fail(refused(`${quoted(norm.path)}: appears twice in the archive`));
    seen.add(norm.path);
    paths.push(norm.path);
    if (paths.length > limits.maxFiles)
      return fail(new AgoraError('payload_too_large', `the bundle has more than ${limits.maxFiles} files`, { limit: limits.maxFiles }));
    total += entry.size;
    if (total > limits.maxBytes) return fail(tooManyBytes());
  }, stop);
  if (!paths.length) throw refused('the bundle has no files');
  const problems = pathSetProblems(paths);
  if (problems.length) throw refused(problems[0]!, problems);

  // Pass 2: the same archive, now known to be well-formed, written file by file.
  const files: BundleEntry[] = [];
  const writes: Promise<void>[] = [];
  const streams: WriteStream[] = [];
  let written = 0;
  const pass2 = parseArchive(open, maxTarBytes, (entry) => {
    if (failure || !FILE_TYPES.has(entry.type)) return void entry.resume();
    const norm = normaliseArchivePath(entry.path);
    if ('problem' in norm || !seen.delete(norm.path)) {
      // The archive changed between passes: refuse.
      fail(refused('the archive changed while it was read'));
      return void entry.resume();
    }
    const path = norm.path;
    const executable = ((entry.mode ?? 0o644) & 0o111) !== 0;
    const mode = executable ? 0o755 : 0o644;
    const target = join(dest, path);
    const hash = createHash('sha256');
    let size = 0;
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    const ws = createWriteStream(target, { flags: 'wx', mode: 0o600 });
    streams.push(ws);
    writes.push(new Promise<void>((resolve) => {
      ws.on('close', () => {
        // Created 0600 (the umask cannot widen it), then given its mode once whole.
        if (!failure) {
          try {
            chmodSync(target, mode);
          } catch (err) {
            fail(refused(`${quoted(path)}: cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'})`));
          }
        }
        resolve();
      });
      ws.on('error', (err: NodeJS.ErrnoException) => {
        fail(refused(`${quoted(path)}: cannot be written (${err.code ?? 'error'})`));
        entry.resume();
      });
    }));
    entry.on('data', (c: Buffer) => {
      hash.update(c);
      size += c.byteLength;
      written += c.byteLength;
      if (written > limits.maxBytes) fail(tooManyBytes());
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
