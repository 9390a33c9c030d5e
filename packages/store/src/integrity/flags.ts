import type { Queryable } from '../db.ts';

/** Flags: a participant's report on a submission or a post, waiting in the organizers' queue. */
export interface FlagRow {
  id: number;
  collaboration_id: number;
  reporter_id: number;
  reporter_handle: string;
  submission_id: number | null;
  post_id: number | null;
  category: string;
  evidence: string;
  state: 'open' | 'upheld' | 'dismissed';
  ruling_id: number | null;
  created_at: Date;
}

const SELECT_FLAG = `select f.*, p.handle as reporter_handle from flags f join participants p on p.id = f.reporter_id`;

/** The author of what would be flagged, or null when it is not in this collaboration. */
export async function flagTargetAuthor(db: Queryable, collabId: number, target: { submission?: number; post?: number }): Promise<number | null> {
  const [row] = target.submission !== undefined
    ? await db.query<{ author_id: number }>('select author_id from submissions where collaboration_id = $1 and id = $2', [collabId, target.submission])
    : await db.query<{ author_id: number }>('select author_id from posts where collaboration_id = $1 and id = $2', [collabId, target.post]);
  return row?.author_id ?? null;
}

/** How many flags the reporter has open, and whether one of them is on this target. */
export async function openFlagsOf(db: Queryable, collabId: number, reporterId: number, target: { submission?: number; post?: number }) {
  const [row] = await db.query<{ open: number; on_target: number }>(
    `select count(*)::int as open,
            count(*) filter (where submission_id is not distinct from $3 and post_id is not distinct from $4)::int as on_target
     from flags where collaboration_id = $1 and reporter_id = $2 and state = 'open'`,
    [collabId, reporterId, target.submission ?? null, target.post ?? null]);
  return { open: row!.open, onTarget: row!.on_target > 0 };
}

export async function insertFlag(
  tx: Queryable,
  f: { collabId: number; reporterId: number; submission?: number | undefined; post?: number | undefined; category: string; evidence: string },
): Promise<FlagRow> {
  const [row] = await tx.query<{ id: number }>(
    `insert into flags (collaboration_id, reporter_id, submission_id, post_id, category, evidence)
     values ($1, $2, $3, $4, $5, $6) returning id`,
    [f.collabId, f.reporterId, f.submission ?? null, f.post ?? null, f.category, f.evidence]);
  return (await flagById(tx, f.collabId, row!.id))!;
}

export async function flagById(db: Queryable, collabId: number, id: number): Promise<FlagRow | null> {
  const [row] = await db.query<FlagRow>(`${SELECT_FLAG} where f.collaboration_id = $1 and f.id = $2`, [collabId, id]);
  return row ?? null;
}

/** Newest first; `reporterId` limits to one reporter's flags (what a participant may read). */
export async function listFlags(
  db: Queryable,
  collabId: number,
  q: { state?: string | undefined; submission?: number | undefined; reporterId?: number | undefined; before?: number | null; limit: number },
): Promise<FlagRow[]> {
  return db.query<FlagRow>(
    `${SELECT_FLAG} where f.collaboration_id = $1 and ($2::text is null or f.state = $2) and ($3::int is null or f.submission_id = $3)
       and ($4::int is null or f.reporter_id = $4) and ($5::int is null or f.id < $5)
     order by f.id desc limit $6`,
    [collabId, q.state ?? null, q.submission ?? null, q.reporterId ?? null, q.before ?? null, q.limit]);
}

/** The states of the named flags that exist in this collaboration, locked until the ruling commits. */
export async function lockFlagStates(tx: Queryable, collabId: number, ids: number[]): Promise<Map<number, FlagRow['state']>> {
  if (!ids.length) return new Map();
  const rows = await tx.query<{ id: number; state: FlagRow['state'] }>(
    'select id, state from flags where collaboration_id = $1 and id = any($2::int[]) order by id for update', [collabId, ids]);
  return new Map(rows.map((r) => [r.id, r.state]));
}

export async function closeFlags(tx: Queryable, ids: number[], state: 'upheld' | 'dismissed', rulingId: number): Promise<void> {
  if (ids.length) await tx.query('update flags set state = $2, ruling_id = $3 where id = any($1::int[])', [ids, state, rulingId]);
}
