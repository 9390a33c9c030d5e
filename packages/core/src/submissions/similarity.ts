import type { BundleEntry } from './fingerprint.ts';

type Content = Pick<BundleEntry, 'sha256' | 'size'>;

/**
 * Similarity of two bundles for attribution suggestions: the Jaccard index of the sets of their
 * file contents (sha256, wherever the file sits, so renames still count), ignoring empty files,
 * which every bundle shares. 1 for identical content sets, 0 when nothing is shared.
 */
export function contentSimilarity(a: readonly Content[], b: readonly Content[]): { similarity: number; shared: number } {
  const sa = new Set(a.filter((f) => f.size > 0).map((f) => f.sha256));
  const sb = new Set(b.filter((f) => f.size > 0).map((f) => f.sha256));
  let shared = 0;
  for (const s of sa) if (sb.has(s)) shared++;
  const union = sa.size + sb.size - shared;
  return { similarity: union ? shared / union : 0, shared };
}

export interface SimilarityCandidate {
  id: number;
  authorId: number;
  files: readonly Content[];
}

/** A bundle sharing at least half of its distinct contents with an earlier one probably builds on it. */
export const SUGGEST_THRESHOLD = 0.5;
export const MAX_SUGGESTIONS = 5;

/**
 * Earlier submissions by other authors that the new bundle resembles, best first (ties: the older
 * submission first, the likelier origin). Leaves out the author's own and those in `exclude`
 * (declared parents and their ancestors, already credited).
 */
export function suggestParents(
  files: readonly Content[],
  authorId: number,
  candidates: readonly SimilarityCandidate[],
  exclude: ReadonlySet<number> = new Set(),
  threshold = SUGGEST_THRESHOLD,
): { id: number; similarity: number; sharedFiles: number }[] {
  return candidates
    .filter((c) => c.authorId !== authorId && !exclude.has(c.id))
    .map((c) => {
      const s = contentSimilarity(files, c.files);
      return { id: c.id, similarity: Math.round(s.similarity * 1000) / 1000, sharedFiles: s.shared };
    })
    .filter((s) => s.similarity >= threshold)
    .sort((x, y) => y.similarity - x.similarity || x.id - y.id)
    .slice(0, MAX_SUGGESTIONS);
}
