import type { References } from '@agora/core';
import type { Queryable } from '@agora/store';
import { existingPostIds, existingSubmissionIds, membersByHandle, pagesBySlug, type ReferenceEdge } from '@agora/store/references';

/**
 * Reference resolution shared by board posts and knowledge-base pages: which of a body's
 * references exist in the collaboration, and the edges that record them. Mentions are resolved
 * only where the caller asks (pages do not notify anyone). The caller refuses unknown references
 * in its own words.
 */
export interface ResolvedReferences {
  edges: ReferenceEdge[];
  pages: Array<{ id: number; slug: string; title: string }>;
  submissions: number[];
  posts: number[];
}

export interface UnknownReferences {
  mentions?: string[];
  submissions: number[];
  pages: string[];
  posts: number[];
}

export async function resolveReferences(
  q: Queryable,
  collaborationId: number,
  refs: References,
  opts: { mentions: boolean },
): Promise<{ resolved: ResolvedReferences; unknown: UnknownReferences | null }> {
  const members = opts.mentions ? await membersByHandle(q, collaborationId, refs.mentions) : [];
  const submissions = await existingSubmissionIds(q, collaborationId, refs.submissions);
  const posts = await existingPostIds(q, collaborationId, refs.posts);
  const pages = await pagesBySlug(q, collaborationId, refs.pages);
  const memberIds = new Map(members.map((m) => [m.handle, m.id]));
  const pageIds = new Map(pages.map((p) => [p.slug, p.id]));
  const unknown: UnknownReferences = {
    ...(opts.mentions ? { mentions: refs.mentions.filter((h) => !memberIds.has(h)) } : {}),
    submissions: refs.submissions.filter((n) => !submissions.includes(n)),
    pages: refs.pages.filter((s) => !pageIds.has(s)),
    posts: refs.posts.filter((n) => !posts.includes(n)),
  };
  const anyUnknown = (unknown.mentions?.length ?? 0) + unknown.submissions.length + unknown.pages.length + unknown.posts.length > 0;
  // Edges in the order the body's references are listed: mentions, submissions, posts, pages.
  const edges: ReferenceEdge[] = [
    ...(opts.mentions ? refs.mentions.map((h) => ({ kind: 'mention' as const, target: h, targetId: memberIds.get(h)! })) : []),
    ...refs.submissions.map((id) => ({ kind: 'submission' as const, target: String(id), targetId: id })),
    ...refs.posts.map((id) => ({ kind: 'post' as const, target: String(id), targetId: id })),
    ...refs.pages.map((s) => ({ kind: 'page' as const, target: s, targetId: pageIds.get(s)! })),
  ];
  return { resolved: { edges, pages, submissions, posts }, unknown: anyUnknown ? unknown : null };
}
