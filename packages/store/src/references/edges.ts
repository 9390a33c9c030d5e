import type { Queryable } from '../db.ts';

/**
 * One reference of a post or page as stored (post_edges, page_edges):
 *   mention: target = handle, targetId = participant id     page: target = slug, targetId = page id
 *   submission / post: target = the id as text, targetId = the id
 */
export interface ReferenceEdge {
  kind: 'mention' | 'submission' | 'post' | 'page';
  target: string;
  targetId: number;
}

const EDGE_TABLES = {
  post: { table: 'post_edges', owner: 'post_id' },
  page: { table: 'page_edges', owner: 'page_id' },
} as const;

/** Replaces what a post's or page's current revision refers to with edges. */
export async function replaceEdges(tx: Queryable, of: keyof typeof EDGE_TABLES, ownerId: number, edges: ReferenceEdge[]): Promise<void> {
  const { table, owner } = EDGE_TABLES[of];
  await tx.query(`delete from ${table} where ${owner} = $1`, [ownerId]);
  if (!edges.length) return;
  await tx.query(
    `insert into ${table} (${owner}, kind, target, target_id)
     select $1, k, t, i from unnest($2::text[], $3::text[], $4::int[]) as u(k, t, i)`,
    [ownerId, edges.map((e) => e.kind), edges.map((e) => e.target), edges.map((e) => e.targetId)],
  );
}
