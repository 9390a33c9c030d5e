import type { PageCategory } from '../schemas/kb.ts';
import { diffLines, formatUnified } from './diff.ts';

export interface RevisionSide {
  number: number;
  title: string;
  category: PageCategory;
  body: string;
}

/** What changed between two revisions of a page: title, category, and the body as line hunks and `diff -u` text. */
export function revisionDiff(slug: string, from: RevisionSide, to: RevisionSide, context = 3) {
  const d = diffLines(from.body, to.body, { context });
  return {
    slug, from: from.number, to: to.number,
    title: from.title === to.title ? null : { from: from.title, to: to.title },
    category: from.category === to.category ? null : { from: from.category, to: to.category },
    added: d.added, removed: d.removed, minimal: d.minimal, hunks: d.hunks,
    unified: formatUnified(d, `${slug}@${from.number}`, `${slug}@${to.number}`),
  };
}
