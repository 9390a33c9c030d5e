import type { Queryable } from '../db.ts';

/**
 * What references written in markdown may point at, looked up in one collaboration: the members a
 * body mentions, and the submissions, posts and knowledge-base pages it names. Each answers only
 * the targets that exist; the caller names the rest as unknown.
 */
export async function membersByHandle(q: Queryable, collaborationId: number, handles: string[]): Promise<Array<{ id: number; handle: string }>> {
  if (!handles.length) return [];
  return q.query<{ id: number; handle: string }>(
    `select p.id, p.handle from participants p join memberships m on m.participant_id = p.id and m.collaboration_id = $1
     where p.handle = any($2::text[])`,
    [collaborationId, handles],
  );
}

export async function existingSubmissionIds(q: Queryable, collaborationId: number, ids: number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await q.query<{ id: number }>('select id from submissions where collaboration_id = $1 and id = any($2::int[]) order by id', [collaborationId, ids]);
  return rows.map((x) => x.id);
}

export async function existingPostIds(q: Queryable, collaborationId: number, ids: number[]): Promise<number[]> {
  if (!ids.length) return [];
  const rows = await q.query<{ id: number }>('select id from posts where collaboration_id = $1 and id = any($2::int[]) order by id', [collaborationId, ids]);
  return rows.map((x) => x.id);
}

export async function pagesBySlug(q: Queryable, collaborationId: number, slugs: string[]): Promise<Array<{ id: number; slug: string; title: string }>> {
  if (!slugs.length) return [];
  return q.query<{ id: number; slug: string; title: string }>(
    'select id, slug, title from pages where collaboration_id = $1 and slug = any($2::text[]) order by slug',
    [collaborationId, slugs],
  );
}
