import type { Queryable } from '../db.ts';

export interface FinalStandingsRow {
  published_by_handle: string;
  post_id: number;
  split: string;
  entries: unknown[];
  published_at: Date;
}

export async function finalStandings(db: Queryable, collabId: number): Promise<FinalStandingsRow | null> {
  const [row] = await db.query<FinalStandingsRow>(
    `select p.handle as published_by_handle, f.post_id, f.split, f.entries, f.published_at
     from final_standings f join participants p on p.id = f.published_by where f.collaboration_id = $1`, [collabId]);
  return row ?? null;
}

/** Written once: a second publication finds the row and inserts nothing (the caller answers conflict). */
export async function insertFinalStandings(tx: Queryable, s: { collabId: number; publishedBy: number; postId: number; split: string; entries: unknown[] }): Promise<boolean> {
  const rows = await tx.query(
    `insert into final_standings (collaboration_id, published_by, post_id, split, entries) values ($1, $2, $3, $4, $5)
     on conflict (collaboration_id) do nothing returning collaboration_id`,
    [s.collabId, s.publishedBy, s.postId, s.split, JSON.stringify(s.entries)]);
  return rows.length > 0;
}

/** Serialises publications of one collaboration's final standings. */
export async function lockStandings(tx: Queryable, collabId: number): Promise<void> {
  await tx.query('select pg_advisory_xact_lock(4242030, $1)', [collabId]);
}
