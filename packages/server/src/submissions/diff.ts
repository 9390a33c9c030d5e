import { diffFileLists, diffLines, formatUnified, looksLikeText, type BundleEntry } from '@agora/core';
import { submissionArtifactFiles, submissionFiles, type BlobStore, type Queryable, type SubmissionRow } from '@agora/store';

/** Text diffs: files over this are not diffed line by line, and one answer carries at most DIFF_TOTAL_MAX of diff text. */
export const DIFF_FILE_MAX = 256 * 1024;
export const DIFF_TOTAL_MAX = 2 * 1024 * 1024;
/** As Buffer#toString: a leading byte-order mark is kept, so a diff shows it. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** Files of the bundle plus large artifacts placed at paths: the submission's effective content. */
async function entriesOf(db: Queryable, id: number): Promise<{ files: BundleEntry[]; artifactPaths: Set<string> }> {
  const files = await submissionFiles(db, id);
  const arts = await submissionArtifactFiles(db, id);
  return { files: [...files, ...arts], artifactPaths: new Set(arts.map((a) => a.path)) };
}

/** Text diffs per changed file, within the size budget. */
export async function diffAgainst(store: BlobStore, db: Queryable, base: SubmissionRow, other: number, context: number, budget: { left: number }) {
  const mine = await entriesOf(db, base.id);
  const theirs = await entriesOf(db, other);
  const d = diffFileLists(theirs.files, mine.files);
  const files = [];
  for (const c of d.changes) {
    const oldE = c.status === 'added' ? null : c.old;
    const newE = c.status === 'removed' ? null : c.new;
    const isArtifact = (oldE && theirs.artifactPaths.has(oldE.path)) || (newE && mine.artifactPaths.has(newE.path));
    const out = {
      path: c.path, status: c.status, oldPath: c.status === 'renamed' ? c.oldPath : null,
      oldSha256: oldE?.sha256 ?? null, newSha256: newE?.sha256 ?? null, oldSize: oldE?.size ?? null, newSize: newE?.size ?? null,
      binary: Boolean(isArtifact), added: 0, removed: 0, unified: null as string | null, truncated: false,
    };
    files.push(out);
    if (isArtifact || c.status === 'renamed' || (oldE && newE && oldE.sha256 === newE.sha256)) continue;
    if ((oldE?.size ?? 0) > DIFF_FILE_MAX || (newE?.size ?? 0) > DIFF_FILE_MAX || budget.left <= 0) {
      out.truncated = true;
      continue;
    }
    const oldBytes = oldE ? await store.read(oldE.sha256, DIFF_FILE_MAX) : new Uint8Array(0);
    const newBytes = newE ? await store.read(newE.sha256, DIFF_FILE_MAX) : new Uint8Array(0);
    if (!looksLikeText(oldBytes) || !looksLikeText(newBytes)) {
      out.binary = true;
      continue;
    }
    const ld = diffLines(utf8.decode(oldBytes), utf8.decode(newBytes), { context });
    out.added = ld.added;
    out.removed = ld.removed;
    const text = formatUnified(ld, oldE ? `a/${oldE.path}` : '/dev/null', newE ? `b/${c.path}` : '/dev/null');
    if (text.length > budget.left) out.truncated = true;
    else {
      out.unified = text;
      budget.left -= text.length;
    }
  }
  return { against: other, added: d.added, removed: d.removed, modified: d.modified, renamed: d.renamed, unchanged: d.unchanged, files };
}
