/**
 * Path rules for files inside a submission bundle. A path is relative, POSIX, normalised and
 * unambiguous on every filesystem a runner may unpack it on. Pure: no I/O.
 */

export const MAX_PATH_LENGTH = 512;
export const MAX_SEGMENT_LENGTH = 255;
export const MAX_DEPTH = 32;

/** Printable form of an untrusted name for messages (JSON-quoted, bounded). */
export const quoted = (s: string) => JSON.stringify(s.length > 120 ? `${s.slice(0, 120)}...` : s);

/** Returns why a path is refused, or null when it is acceptable as it stands (nothing is normalised for the caller). */
export function bundlePathProblem(path: string): string | null {
  if (path === '') return 'empty path';
  if (path.length > MAX_PATH_LENGTH) return `${quoted(path)}: longer than ${MAX_PATH_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(path)) return `${quoted(path)}: control characters in a path`;
  // Bidirectional overrides make a name display as another ("gpj.exe" shown as "exe.jpg").
  if (/[\u202a-\u202e\u2066-\u2069\u200e\u200f]/.test(path)) return `${quoted(path)}: bidirectional control characters in a path`;
  if (path.includes('\\')) return `${quoted(path)}: backslash in a path (use "/")`;
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return `${quoted(path)}: absolute path`;
  if (path.normalize('NFC') !== path) return `${quoted(path)}: not in Unicode NFC form`;
  const segments = path.split('/');
  if (segments.length > MAX_DEPTH) return `${quoted(path)}: deeper than ${MAX_DEPTH} folders`;
  for (const s of segments) {
    if (s === '') return `${quoted(path)}: empty segment ("//" or a trailing "/")`;
    if (s === '.' || s === '..') return `${quoted(path)}: "${s}" in a path`;
    if (s.length > MAX_SEGMENT_LENGTH) return `${quoted(path)}: a segment longer than ${MAX_SEGMENT_LENGTH}`;
  }
  return null;
}

/**
 * Normalises a path as found in a tar archive ("./a//b" → "a/b", a folder's trailing "/"
 * dropped), then applies bundlePathProblem. ".." is never resolved: it is refused.
 */
export function normaliseArchivePath(raw: string): { path: string } | { problem: string } {
  if (raw.startsWith('/')) return { problem: `${quoted(raw)}: absolute path` };
  const path = raw.split('/').filter((s) => s !== '' && s !== '.').join('/');
  const problem = bundlePathProblem(path);
  return problem ? { problem } : { path };
}

/**
 * Problems of a set of paths taken together: duplicates, names that differ only in case (they
 * collide on case-insensitive filesystems), and a path that is both a file and a folder.
 */
export function pathSetProblems(paths: readonly string[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const files = new Set(paths);
  for (const p of paths) {
    const folded = p.toLowerCase();
    const prev = seen.get(folded);
    if (prev === p) problems.push(`${quoted(p)}: listed twice`);
    else if (prev !== undefined) problems.push(`${quoted(p)} and ${quoted(prev)} differ only in case`);
    else seen.set(folded, p);
    const segs = p.split('/');
    for (let i = 1; i < segs.length; i++) {
      const dir = segs.slice(0, i).join('/');
      if (files.has(dir)) problems.push(`${quoted(dir)} is a file and also a folder of ${quoted(p)}`);
    }
  }
  return problems;
}
