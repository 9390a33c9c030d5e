import type { Queryable } from '../db.ts';
import type { CollabRow } from '../identity/rows.ts';

/** Private verifications: one per private-split job, its verdict, an override (docs/decisions/0140). */
export interface VerificationRow {
  id: number;
  collaboration_id: number;
  submission_id: number;
  job_id: number;
  split: string;
  reason: 'new_leader' | 'daily_top' | 'organizer';
  requested_by_handle: string;
  state: 'pending' | 'verified' | 'diverged' | 'failed' | 'inconclusive' | 'void';
  diverged: Array<'guardrails' | 'metric'>;
  failed_guardrails: string[];
  ratio: number | null;
  detail: string | null;
  post_id: number | null;
  decided_at: Date | null;
  override_verdict: 'verified' | 'diverged' | 'failed' | null;
  override_reason: string | null;
  override_by_handle: string | null;
  override_at: Date | null;
  created_at: Date;
}

const SELECT = `
  select v.id, v.collaboration_id, v.submission_id, v.job_id, v.split, v.reason, rq.handle as requested_by_handle, v.state, v.diverged,
         v.failed_guardrails, v.ratio, v.detail, v.post_id, v.decided_at, v.override_verdict, v.override_reason, ob.handle as override_by_handle,
         v.override_at, v.created_at
  from verifications v join participants rq on rq.id = v.requested_by left join participants ob on ob.id = v.override_by`;

export const VERIFIER_HANDLE = 'agora-verifier';

/** The verifier's participant id (created by migration 0100, owner `agora:system`). */
export async function verifierId(db: Queryable): Promise<number> {
  const [row] = await db.query<{ id: number }>(`select id from participants where handle = $1 and owner = 'agora:system'`, [VERIFIER_HANDLE]);
  if (!row) throw new Error(`the verifier's identity @${VERIFIER_HANDLE} is missing or held by someone else: migration 0100 creates it`);
  return row.id;
}

export async function insertVerification(
  tx: Queryable, v: { collabId: number; submissionId: number; jobId: number; split: string; reason: string; requestedBy: number },
): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `insert into verifications (collaboration_id, submission_id, job_id, split, reason, requested_by)
     values ($1, $2, $3, $4, $5, $6) on conflict do nothing returning id`,
    [v.collabId, v.submissionId, v.jobId, v.split, v.reason, v.requestedBy]);
  return row?.id ?? 0;
}

/** Whether a verification of the submission is on its way (its private job has not been decided). */
export async function pendingVerificationOf(db: Queryable, submissionId: number): Promise<number | null> {
  const [row] = await db.query<{ id: number }>(`select id from verifications where submission_id = $1 and state = 'pending' order by id limit 1`, [submissionId]);
  return row?.id ?? null;
}

export async function verificationById(db: Queryable, collabId: number, id: number): Promise<VerificationRow | null> {
  const [row] = await db.query<VerificationRow>(`${SELECT} where v.collaboration_id = $1 and v.id = $2`, [collabId, id]);
  return row ?? null;
}

export async function verificationOfJob(db: Queryable, jobId: number): Promise<VerificationRow | null> {
  const [row] = await db.query<VerificationRow>(`${SELECT} where v.job_id = $1`, [jobId]);
  return row ?? null;
}

export async function listVerifications(
  db: Queryable, collabId: number, q: { submission?: number | undefined; state?: string | undefined; before: number | null; limit: number },
): Promise<VerificationRow[]> {
  return db.query<VerificationRow>(
    `${SELECT} where v.collaboration_id = $1 and ($2::int is null or v.submission_id = $2) and ($3::text is null or v.state = $3)
       and ($4::int is null or v.id < $4) order by v.id desc limit $5`,
    [collabId, q.submission ?? null, q.state ?? null, q.before, q.limit]);
}

/** Pending verifications whose private job has ended, with the job's end and state: what the verifier decides next. */
export interface EndedVerificationRow {
  id: number;
  collaboration_id: number;
  submission_id: number;
  job_id: number;
  job_state: string;
  finished_at: Date;
}

export async function endedPendingVerifications(db: Queryable, limit: number): Promise<EndedVerificationRow[]> {
  return db.query<EndedVerificationRow>(
    `select v.id, v.collaboration_id, v.submission_id, v.job_id, j.state as job_state, j.finished_at
     from verifications v join jobs j on j.id = v.job_id
     where v.state = 'pending' and j.state in ('succeeded', 'guardrail_failed', 'failed', 'timed_out', 'errored', 'cancelled')
     order by v.id limit $1`,
    [limit]);
}

/** Locks a verification still pending (null: decided meanwhile by another verifier). */
export async function lockPendingVerification(tx: Queryable, id: number): Promise<{ id: number } | null> {
  const [row] = await tx.query<{ id: number }>(`select id from verifications where id = $1 and state = 'pending' for update`, [id]);
  return row ?? null;
}

export async function decideVerification(
  tx: Queryable, id: number, d: { state: string; diverged: string[]; failedGuardrails: string[]; ratio: number | null; detail: string | null; postId: number | null },
): Promise<void> {
  await tx.query(
    `update verifications set state = $2, diverged = $3, failed_guardrails = $4, ratio = $5, detail = $6, post_id = $7, decided_at = now() where id = $1`,
    [id, d.state, d.diverged, d.failedGuardrails, d.ratio, d.detail, d.postId]);
}

export async function lockVerification(tx: Queryable, collabId: number, id: number): Promise<{ id: number; state: string; submission_id: number } | null> {
  const [row] = await tx.query<{ id: number; state: string; submission_id: number }>(
    'select id, state, submission_id from verifications where collaboration_id = $1 and id = $2 for update', [collabId, id]);
  return row ?? null;
}

export async function overrideVerification(tx: Queryable, id: number, o: { verdict: string; reason: string; by: number }): Promise<void> {
  await tx.query('update verifications set override_verdict = $2, override_reason = $3, override_by = $4, override_at = now() where id = $1', [id, o.verdict, o.reason, o.by]);
}

/** The verdict in force per submission: of its latest decided verification (void ones aside), an override winning over the run's own. */
export interface VerdictRow {
  submission_id: number;
  verification_id: number;
  verdict: 'verified' | 'diverged' | 'failed' | 'inconclusive';
  decided_at: Date;
}

export async function verdictsInForce(db: Queryable, collabId: number): Promise<VerdictRow[]> {
  return db.query<VerdictRow>(
    `select distinct on (submission_id) submission_id, id as verification_id, coalesce(override_verdict, state) as verdict, coalesce(override_at, decided_at) as decided_at
     from verifications where collaboration_id = $1 and state not in ('pending', 'void')
     order by submission_id, id desc`,
    [collabId]);
}

/** Which submissions have a verification pending or decided (covered), and which have any at all. */
export async function verificationCoverage(db: Queryable, collabId: number): Promise<{ covered: Set<number>; attempted: Set<number> }> {
  const rows = await db.query<{ submission_id: number; covered: boolean }>(
    `select submission_id, bool_or(state <> 'void') as covered from verifications where collaboration_id = $1 group by submission_id`, [collabId]);
  return { covered: new Set(rows.filter((r) => r.covered).map((r) => r.submission_id)), attempted: new Set(rows.map((r) => r.submission_id)) };
}

export async function lastDailyRun(db: Queryable, collabId: number): Promise<string | null> {
  const [row] = await db.query<{ day: string }>(`select to_char(max(day), 'YYYY-MM-DD') as day from verification_days where collaboration_id = $1`, [collabId]);
  return row?.day ?? null;
}

/** Records the day's run; false when another process recorded it first. */
export async function markDailyRun(tx: Queryable, collabId: number, day: string): Promise<boolean> {
  const rows = await tx.query(`insert into verification_days (collaboration_id, day) values ($1, $2::date) on conflict do nothing returning day`, [collabId, day]);
  return rows.length > 0;
}

/** Serialises the verifier's scheduling of one collaboration across server processes. */
export async function lockVerifierSchedule(tx: Queryable, collabId: number): Promise<void> {
  await tx.query('select pg_advisory_xact_lock(4242140, $1)', [collabId]);
}

/** Collaborations whose challenge has a private split: the ones the verifier looks after. */
export async function collaborationsWithPrivateSplits(db: Queryable): Promise<CollabRow[]> {
  return db.query<CollabRow>(
    `select * from collaborations c where exists (select 1 from jsonb_each(c.challenge->'splits') s where s.value->>'visibility' = 'private') order by id`);
}
