// Safe unpacking of a submission bundle (tar.gz). The bundle is untrusted: it is listed and
// checked in full before one byte is written, then extracted with the same checks as a backstop,
// then walked to strip special permission bits. See docs/decisions/0060-runner-job-loop.md.

import { createHash } from 'node:crypto';
import { chmodSync, createReadStream, lstatSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { extract, list, type ReadEntry } from 'tar';

export interface BundleLimits {
  /** Sum of the declared sizes of all files. */
  maxBytes: number;
  /** Entries of any kind (files, folders, links). */
  maxFiles: number;
}

/** The bundle itself is bad: the submission's fault (outcome `failed`). */
export class BadBundleError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    const shown = problems.slice(0, 5).join('; ');
    super(`the submission bundle was refused: ${shown}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
    this.name = 'BadBundleError';
    this.problems = problems;
  }
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const MAX_PATH = 1024;
const MAX_SEGMENT = 255;

/** Printable form of an untrusted name for error messages (no control characters, bounded). */
export const shown = (s: string) => JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}...` : s);

/**
 * Checks one entry against the rules; returns a problem or null. `symlinks` holds the link paths
 * seen so far: nothing may be written through a link, so links cannot lead writes outside.
 */
export function entryProblem(
  type: string,
  rawPath: string,
  linkpath: string | undefined,
  symlinks: Set<string>,
  linkTargets?: Map<string, string>,
): string | null {
  if (rawPath.includes('\0')) return `${shown(rawPath)}: NUL in a file name`;
  if (rawPath.length > MAX_PATH) return `${shown(rawPath)}: path longer than ${MAX_PATH} characters`;
  if (isAbsolute(rawPath) || /^[a-zA-Z]:[\\/]/.test(rawPath)) return `${shown(rawPath)}: absolute path`;
  const segments = rawPath.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) return `${shown(rawPath)}: ".." in a path`;
  if (segments.some((s) => s.length > MAX_SEGMENT)) return `${shown(rawPath)}: a path segment longer than ${MAX_SEGMENT}`;
  const path = segments.join('/');
  for (let i = 1; i < segments.length; i++) {
    if (symlinks.has(segments.slice(0, i).join('/'))) return `${shown(rawPath)}: written through the symbolic link ${shown(segments.slice(0, i).join('/'))}`;
  }
  if (FILE_TYPES.has(type) || type === 'Directory') return null;
  if (type === 'SymbolicLink') {
    const target = linkpath ?? '';
    if (!target || target.includes('\0')) return `${shown(rawPath)}: symbolic link without a target`;
    if (isAbsolute(target)) return `${shown(rawPath)}: symbolic link to an absolute path ${shown(target)}`;
    const resolved = posix.normalize(posix.join(posix.dirname(path), target));
    if (resolved === '..' || resolved.startsWith('../')) return `${shown(rawPath)}: symbolic link out of the bundle (${shown(target)})`;
    if (path === '') return `${shown(rawPath)}: a symbolic link as the bundle root`;
    symlinks.add(path);
    linkTargets?.set(path, target);
    return null;
  }
  if (type === 'Link') return `${shown(rawPath)}: hard links are not allowed`;
  return `${shown(rawPath)}: entries of type ${type} (devices, fifos, ...) are not allowed`;
}

/**
 * A link's target is checked lexically, which is only sound if the target does not pass through
 * another link (a -> . then b -> a/.. would leave the bundle): such chains are refused.
 */
function linkChainProblems(linkTargets: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [link, target] of linkTargets) {
    const at = link.split('/').slice(0, -1);
    const segs = target.split('/').filter((s) => s !== '' && s !== '.');
    for (let i = 0; i < segs.length - 1; i++) {
      if (segs[i] === '..') at.pop();
      else at.push(segs[i]!);
      if (linkTargets.has(at.join('/'))) {
        problems.push(`${shown(link)}: symbolic link through another link (${shown(at.join('/'))})`);
        break;
      }
    }
  }
  return problems;
}

/** Lists the archive and checks every entry and the totals; writes nothing. */
export async function checkBundle(file: string, limits: BundleLimits): Promise<{ files: number; bytes: number }> {
  const problems: string[] = [];
  const symlinks = new Set<string>();
  const linkTargets = new Map<string, string>();
  let files = 0;
  let bytes = 0;
  try {
    await list({
      file,
      strict: true,
      onReadEntry: (e: ReadEntry) => {
        files++;
        if (FILE_TYPES.has(e.type)) bytes += e.size;
        const p = entryProblem(e.type, e.path, e.linkpath, symlinks, linkTargets);
        if (p && problems.length < 100) problems.push(p);
      },
    });
  } catch (err) {
    problems.push(`not a readable tar.gz archive (${(err as Error).message.slice(0, 200)})`);
  }
  problems.push(...linkChainProblems(linkTargets));
  if (files > limits.maxFiles) problems.push(`${files} entries, over the limit of ${limits.maxFiles}`);
  if (bytes > limits.maxBytes) problems.push(`${bytes} bytes unpacked, over the limit of ${limits.maxBytes}`);
  if (problems.length) throw new BadBundleError(problems);
  return { files, bytes };
}

/**
 * Unpacks `file` into the empty folder `dir`. Throws BadBundleError (and leaves `dir` empty)
 * when anything is wrong with the archive.
 */
export async function extractBundle(file: string, dir: string, limits: BundleLimits): Promise<{ files: number; bytes: number }> {
  const counts = await checkBundle(file, limits);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const problems: string[] = [];
  const symlinks = new Set<string>();
  let bytes = 0;
  try {
    await extract({
      file,
      cwd: dir,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      unlink: false,
      filter: (path, entry) => {
        const e = entry as ReadEntry;
        const p = entryProblem(e.type, e.path ?? path, e.linkpath, symlinks);
        if (FILE_TYPES.has(e.type)) bytes += e.size;
        if (!p && bytes > limits.maxBytes) problems.push(`more than ${limits.maxBytes} bytes unpacked`);
        if (p) problems.push(p);
        // Only plain permission bits: no setuid, setgid or sticky bits from a bundle.
        if (typeof e.mode === 'number') e.mode = (e.mode & 0o755) | (e.type === 'Directory' ? 0o700 : 0o600);
        return !p && bytes <= limits.maxBytes;
      },
    });
  } catch (err) {
    problems.push(`unpacking failed (${(err as Error).message.slice(0, 200)})`);
  }
  if (!problems.length) problems.push(...sanitizeTree(dir));
  if (problems.length) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    throw new BadBundleError(problems);
  }
  return counts;
}

/** Walks the unpacked tree: only files, folders and links; permission bits cleaned. */
function sanitizeTree(root: string): string[] {
  const problems: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) {
        chmodSync(p, (st.mode & 0o755) | 0o700);
        walk(p);
      } else if (st.isFile()) {
        if (st.mode & 0o7000) chmodSync(p, st.mode & 0o755);
      } else problems.push(`${shown(p.slice(root.length + 1))}: not a regular file`);
    }
  };
  walk(root);
  return problems;
}

/** sha256 of a file, hex. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}
