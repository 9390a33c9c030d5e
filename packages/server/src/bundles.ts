import { createHash } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AgoraError, byPath, pathSetProblems, quoted, type BundleEntry } from '@agora/core';
import type { ArchiveLimits } from '@agora/store/archive';
import { chunksOf, writeNewFile, type ByteSource } from '@agora/store/blobs';
import { create as tarCreate } from 'tar';

/**
 * Bundles in and out on the server's scratch disk: a request body saved to a file, inline files
 * written, the canonical tar.gz packed. Untrusted archives are read by @agora/store/archive, the
 * reader the runner shares (decision 0052).
 */

/** The compressed upload is held to the same number of bytes as the files' sum. */
export type BundleLimits = ArchiveLimits;

/** Writes a request body to a file, refusing (payload_too_large) once it passes maxBytes. */
export async function saveBody(src: ByteSource, file: string, maxBytes: number): Promise<number> {
  let size = 0;
  async function* limited() {
    for await (const chunk of chunksOf(src)) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new AgoraError('payload_too_large', `the bundle is over the limit of ${maxBytes} bytes`, { limit: maxBytes });
      yield chunk;
    }
  }
  await writeNewFile(limited(), file);
  return size;
}

/**
 * Writes inline files (each path already valid) into `dest`; returns them hashed and sorted, with the
 * problems of the set (duplicates, case clashes), whose later copies are not written. Counts and
 * sizes are left to the submission checks (checks.ts), so they are reported with every other
 * problem: the JSON body holding them is bounded anyway.
 */
export async function writeInlineFiles(
  dest: string,
  inline: { path: string; content: string; encoding: 'utf8' | 'base64'; executable: boolean }[],
): Promise<{ files: BundleEntry[]; problems: string[] }> {
  const problems = pathSetProblems(inline.map((f) => f.path));
  for (const f of inline)
    if (f.encoding === 'base64' && !/^[A-Za-z0-9+/]*={0,2}$/.test(f.content.replace(/\s+/g, '')))
      throw new AgoraError('validation_failed', `${quoted(f.path)}: content is not valid base64`);
  const files: BundleEntry[] = [];
  const taken = new Set<string>();
  for (const f of inline) {
    const folded = f.path.toLowerCase();
    if (taken.has(folded) || [...taken].some((t) => folded.startsWith(`${t}/`) || t.startsWith(`${folded}/`))) continue;
    taken.add(folded);
    const bytes = Buffer.from(f.content, f.encoding === 'base64' ? 'base64' : 'utf8');
    const target = join(dest, f.path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes, { flag: 'wx', mode: 0o600 });
    files.push({ path: f.path, sha256: createHash('sha256').update(bytes).digest('hex'), size: bytes.byteLength, executable: f.executable });
  }
  return { files: byPath(files), problems };
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
