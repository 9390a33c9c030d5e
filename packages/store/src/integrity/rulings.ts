import type { Queryable } from '../db.ts';

/** Rulings, what each did to submissions, and the invalid / withdrawn marks on submissions. */
export interface RulingRow {
  id: number;
  collaboration_id: number;
  organizer_handle: string;
  kind: 'uphold' | 'dismiss' | 'reinstate';
  title: string;
  text: string;
  lever: string | null;
  revokes: number | null;
  post_id: number;
  created_at: Date;
  flags: number[];
  invalidated: number[];
  reinstated: number[];
}

const SELECT_RULING = `
  select r.id, r.collaboration_id, o.handle as organizer_handle, r.kind, r.title, r.text, r.lever, r.revokes, r.post_id, r.created_at,
         coalesce((select array_agg(f.id order by f.id) from flags f where f.ruling_id = r.id), '{}') as flags,
         coalesce((select array_agg(e.submission_id order by e.submission_id) from ruling_effects e where e.ruling_id = r.id and e.effect = 'invalidated'), '{}') as invalidated,
         coalesce((select array_agg(e.submission_id order by e.submission_id) from ruling_effects e where e.ruling_id = r.id and e.effect = 'reinstated'), '{}') as reinstated
  from rulings r join participants o on o.id = r.organizer_id`;

export async function rulingById(db: Queryable, collabId: number, id: number): Promise<RulingRow | null> {
  const [row] = await db.query<RulingRow>(`${SELECT_RULING} where r.collaboration_id = $1 and r.id = $2`, [collabId, id]);
  return row ?? null;
}

export async function listRulings(db: Queryable, collabId: number, q: { submission?: number | undefined; before?: number | null; limit: number }): Promise<RulingRow[]> {
  return db.query<RulingRow>(
    `${SELECT_RULING} where r.collaboration_id = $1 and ($2::int is null or r.id < $2)
       and ($3::int is null or exists (select 1 from ruling_effects e where e.ruling_id = r.id and e.submission_id = $3)
                           or exists (select 1 from flags f where f.ruling_id = r.id and f.submission_id = $3))
     order by r.id desc limit $4`,
    [collabId, q.before ?? null, q.submission ?? null, q.limit]);
}

export async function insertRuling(
  tx: Queryable,
  r: { collabId: number; organizerId: number; kind: string; title: string; text: string; lever: string | null; revokes: number | null; postId: number },
): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `insert into rulings (collaboration_id, organizer_id, kind, title, text, lever, revokes, post_id)
     values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
    [r.collabId, r.organizerId, r.kind, r.title, r.text, r.lever, r.revokes, r.postId]);
  return row!.id;
}

/** Marks submissions invalid by a ruling and records the effect. */
export async function invalidateSubmissions(tx: Queryable, rulingId: number, ids: number[], reason: string): Promise<void> {
  if (!ids.length) return;
  await tx.query(
    'update submissions set invalid_by = $2, invalidated_at = now(), invalidated_reason = $3, staged = false where id = any($1::int[])', [ids, rulingId, reason]);
  await tx.query(`insert into ruling_effects (ruling_id, submission_id, effect) select $1, unnest($2::int[]), 'invalidated'`, [rulingId, ids]);
}

export async function reinstateSubmissions(tx: Queryable, rulingId: number, ids: number[]): Promise<void> {
  if (!ids.length) return;
  await tx.query('update submissions set invalid_by = null, invalidated_at = null, invalidated_reason = null where id = any($1::int[])', [ids]);
  await tx.query(`insert into ruling_effects (ruling_id, submission_id, effect) select $1, unnest($2::int[]), 'reinstated'`, [rulingId, ids]);
}

/**
 * The lineage as a ruling sees it (every submission of the collaboration), locked while the ruling
 * is made. `no key update`: new flags, jobs and children may still reference these rows meanwhile.
 */
export async function lockDag(tx: Queryable, collabId: number): Promise<Array<{ id: number; parents: number[]; levers: string[]; invalidBy: number | null }>> {
  const rows = await tx.query<{ id: number; parents: number[]; levers: string[]; invalid_by: number | null }>(
    `select s.id, s.levers, s.invalid_by,
            coalesce((select array_agg(sp.parent_id) from submission_parents sp where sp.submission_id = s.id), '{}') as parents
     from submissions s where s.collaboration_id = $1 order by s.id for no key update of s`,
    [collabId]);
  return rows.map((r) => ({ id: r.id, parents: r.parents, levers: r.levers, invalidBy: r.invalid_by }));
}

export async function rulingExists(db: Queryable, collabId: number, id: number): Promise<boolean> {
  return (await db.query('select 1 from rulings where collaboration_id = $1 and id = $2', [collabId, id])).length > 0;
}

export interface WithdrawTarget { id: number; author_id: number; withdrawn_at: Date | null }

export async function lockSubmissionForWithdraw(tx: Queryable, collabId: number, id: number): Promise<WithdrawTarget | null> {
  const [row] = await tx.query<WithdrawTarget>(
    'select id, author_id, withdrawn_at from submissions where collaboration_id = $1 and id = $2 for no key update', [collabId, id]);
  return row ?? null;
}

export async function withdrawSubmission(tx: Queryable, id: number, reason: string | null): Promise<void> {
  await tx.query('update submissions set withdrawn_at = now(), withdrawn_reason = $2, staged = false where id = $1', [id, reason]);
}
