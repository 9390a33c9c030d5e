import { byPath, type BundleEntry } from './fingerprint.ts';

export type FileChange =
  | { status: 'added'; path: string; new: BundleEntry }
  | { status: 'removed'; path: string; old: BundleEntry }
  | { status: 'modified'; path: string; old: BundleEntry; new: BundleEntry }
  | { status: 'renamed'; path: string; oldPath: string; old: BundleEntry; new: BundleEntry };

export interface FileListDiff {
  changes: FileChange[];
  added: number;
  removed: number;
  modified: number;
  renamed: number;
  unchanged: number;
}

/**
 * What changed from one bundle's files to another's, by path. A file that disappeared at one path
 * and appeared with identical bytes at another is a rename (paired in path order). A change of
 * the executable bit alone counts as modified. Changes come sorted by (new) path.
 */
export function diffFileLists(oldFiles: readonly BundleEntry[], newFiles: readonly BundleEntry[]): FileListDiff {
  const oldByPath = new Map(oldFiles.map((f) => [f.path, f]));
  const newByPath = new Map(newFiles.map((f) => [f.path, f]));
  const changes: FileChange[] = [];
  let unchanged = 0;
  const added: BundleEntry[] = [];
  for (const n of byPath(newFiles)) {
    const o = oldByPath.get(n.path);
    if (!o) added.push(n);
    else if (o.sha256 === n.sha256 && o.executable === n.executable) unchanged++;
    else changes.push({ status: 'modified', path: n.path, old: o, new: n });
  }
  const removed = byPath(oldFiles).filter((o) => !newByPath.has(o.path));
  const removedBySha = new Map<string, BundleEntry[]>();
  for (const r of removed) removedBySha.set(r.sha256, [...(removedBySha.get(r.sha256) ?? []), r]);
  const renamedFrom = new Set<string>();
  for (const a of added) {
    const from = removedBySha.get(a.sha256)?.shift();
    if (from) {
      renamedFrom.add(from.path);
      changes.push({ status: 'renamed', path: a.path, oldPath: from.path, old: from, new: a });
    } else changes.push({ status: 'added', path: a.path, new: a });
  }
  for (const r of removed) if (!renamedFrom.has(r.path)) changes.push({ status: 'removed', path: r.path, old: r });
  const sorted = byPath(changes);
  const count = (s: FileChange['status']) => sorted.filter((c) => c.status === s).length;
  return { changes: sorted, added: count('added'), removed: count('removed'), modified: count('modified'), renamed: count('renamed'), unchanged };
}

/** Whether bytes are shown as text in diffs and file views: valid UTF-8 with no NUL byte. */
export function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
