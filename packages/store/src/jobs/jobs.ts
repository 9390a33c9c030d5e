import type { ChallengeSpec, JobState } from '@agora/core';
import type { Queryable } from '../db.ts';
import type { JobRow, JobSubmissionRow, JobViewRow } from './rows.ts';

/** Job rows: insert, lock, move along the lifecycle, read with names. */

export interface NewJobRow {
  collabId: number;
  submissionId: number;
  split: string;
  visibility: 'public' | 'private';
  repeats: number;
  hardware: string[];
  originatorId: number;
  sponsorId: number | null;
  requestedBy: number;
  rerunOf: number | null;
  smoke?: boolean;
}

export async function insertJob(tx: Queryable, j: NewJobRow): Promise<JobRow> {
  const [row] = await tx.query<JobRow>(
    `insert into jobs (collaboration_id, submission_id, split, visibility, repeats, hardware, originator_id, sponsor_id, requested_by, rerun_of, smoke)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning *`,
    [j.collabId, j.submissionId, j.split, j.visibility, j.repeats, j.hardware, j.originatorId, j.sponsorId, j.requestedBy, j.rerunOf, j.smoke ?? false]);
  return row!;
}

/** The job under its row lock (until commit), or undefined. */
export async function lockJob(tx: Queryable, jobId: number): Promise<JobRow | undefined> {
  const [row] = await tx.query<JobRow>('select * from jobs where id = $1 for update', [jobId]);
  return row;
}

export async function findJob(db: Queryable, jobId: number): Promise<JobRow | undefined> {
  const [row] = await db.query<JobRow>('select * from jobs where id = $1', [jobId]);
  return row;
}

export async function findJobIn(db: Queryable, collabId: number, jobId: number): Promise<JobRow | undefined> {
  const [row] = await db.query<JobRow>('select * from jobs where id = $1 and collaboration_id = $2', [jobId, collabId]);
  return row;
}

export async function jobState(db: Queryable, jobId: number): Promise<JobState> {
  const [row] = await db.query<{ state: JobState }>('select state from jobs where id = $1', [jobId]);
  return row!.state;
}

/**
 * Writes a lifecycle edge's target state: the lease is dropped, the finish time set when the state
 * is terminal (`finished`), and a pending cancel cleared once finished.
 */
export async function setJobState(tx: Queryable, jobId: number, state: JobState, reason: string, finished: boolean): Promise<void> {
  await tx.query(
    `update jobs set state = $2, reason = $3, runner_id = null, lease_token_hash = null, lease_expires_at = null,
       finished_at = case when $4 then now() else null end, overdue_at = null,
       cancel_requested = cancel_requested and not $4
     where id = $1`,
    [jobId, state, reason, finished]);
}

export async function requestCancel(tx: Queryable, jobId: number, reason: string): Promise<void> {
  await tx.query('update jobs set cancel_requested = true, reason = $2 where id = $1', [jobId, reason]);
}

export async function markOverdue(tx: Queryable, jobId: number, reason: string): Promise<void> {
  await tx.query('update jobs set overdue_at = now(), reason = $2 where id = $1', [jobId, reason]);
}

/** Hands a queued job to a runner under a new lease: attempt + 1, recorded in job_attempts. */
export async function startAttempt(
  tx: Queryable,
  s: { jobId: number; runnerId: number; runnerName: string; leaseTokenHash: string; leaseSeconds: number; offline: boolean },
): Promise<JobRow> {
  const [row] = await tx.query<JobRow>(
    `update jobs set state = 'running', attempt = attempt + 1, runner_id = $2, lease_token_hash = $3,
       lease_expires_at = now() + make_interval(secs => $4), started_at = now(), offline = $5, overdue_at = null,
       reason = 'running on runner ' || $6 || ' (attempt ' || (attempt + 1) || ' of ' || max_attempts || ')'
     where id = $1 returning *`,
    [s.jobId, s.runnerId, s.leaseTokenHash, s.leaseSeconds, s.offline, s.runnerName]);
  await tx.query('insert into job_attempts (job_id, attempt, runner_id) values ($1, $2, $3)', [s.jobId, row!.attempt, s.runnerId]);
  return row!;
}

export async function endAttempt(tx: Queryable, jobId: number, attempt: number, outcome: string, reason: string): Promise<void> {
  await tx.query('update job_attempts set ended_at = now(), outcome = $3, reason = $4 where job_id = $1 and attempt = $2 and ended_at is null', [jobId, attempt, outcome, reason]);
}

/** Extends a lease to at least `seconds` from now; never shortens it (an offline lease stays long). */
export async function extendLease(tx: Queryable, jobId: number, seconds: number): Promise<Date> {
  const [row] = await tx.query<{ lease_expires_at: Date }>(
    'update jobs set lease_expires_at = greatest(lease_expires_at, now() + make_interval(secs => $2)) where id = $1 returning lease_expires_at',
    [jobId, seconds]);
  return row!.lease_expires_at;
}

export async function participantHandles(db: Queryable, ids: number[]): Promise<Array<{ id: number; handle: string }>> {
  return db.query<{ id: number; handle: string }>('select id, handle from participants where id = any($1::int[])', [ids]);
}

export async function participantIdByHandle(db: Queryable, handle: string): Promise<number | undefined> {
  const [p] = await db.query<{ id: number }>('select id from participants where handle = $1', [handle]);
  return p?.id;
}

export async function jobSubmission(db: Queryable, collabId: number, submissionId: number): Promise<JobSubmissionRow | undefined> {
  const [s] = await db.query<JobSubmissionRow>(
    'select s.id, s.author_id, p.handle as author_handle, s.staged, s.invalidated_at, s.invalidated_reason, s.withdrawn_at, s.title from submissions s join participants p on p.id = s.author_id where s.id = $1 and s.collaboration_id = $2', [submissionId, collabId]);
  return s;
}

// ---------------------------------------------------------------- with names (the API's view)

const JOB_VIEW = `
  select j.*, c.slug, po.handle as originator_handle, ps.handle as sponsor_handle, pr.handle as requester_handle,
    (qc.id is not null) as charged, (qc.refunded_at is not null) as refunded
  from jobs j
  join collaborations c on c.id = j.collaboration_id
  join participants po on po.id = j.originator_id
  left join participants ps on ps.id = j.sponsor_id
  join participants pr on pr.id = j.requested_by
  left join quota_charges qc on qc.job_id = j.id`;

export async function findJobView(db: Queryable, collabId: number, jobId: number): Promise<JobViewRow | undefined> {
  const [row] = await db.query<JobViewRow>(`${JOB_VIEW} where j.id = $1 and j.collaboration_id = $2`, [jobId, collabId]);
  return row;
}

export interface JobFilter {
  states?: JobState[];
  /**
   * Filter `states` on the state participants are shown (decision 0087): a private job that ended
   * after this time (the last release time) reads as running. Unset: the real state (organizers).
   */
  privateReleasedUpTo?: Date;
  submissionId?: number;
  split?: string;
  overdue?: boolean;
  /** Jobs this participant originated, sponsored or asked for. */
  participantId?: number;
  /** Only ids below this (the page cursor). */
  beforeId?: number | null;
}

/** A page of the collaboration's jobs, newest first; `limit` rows at most. */
export async function listJobViews(db: Queryable, collabId: number, f: JobFilter, limit: number): Promise<JobViewRow[]> {
  const where = ['j.collaboration_id = $1'];
  const args: unknown[] = [collabId];
  const arg = (v: unknown) => `$${args.push(v)}`;
  if (f.states) {
    const shown = f.privateReleasedUpTo
      ? `(case when j.visibility = 'private' and j.finished_at > ${arg(f.privateReleasedUpTo)}::timestamptz then 'running' else j.state end)`
      : 'j.state';
    where.push(`${shown} = any(${arg(f.states)}::text[])`);
  }
  if (f.submissionId !== undefined) where.push(`j.submission_id = ${arg(f.submissionId)}`);
  if (f.split !== undefined) where.push(`j.split = ${arg(f.split)}`);
  if (f.overdue !== undefined) where.push(f.overdue ? 'j.overdue_at is not null' : 'j.overdue_at is null');
  if (f.participantId !== undefined) {
    const x = arg(f.participantId);
    where.push(`(j.originator_id = ${x} or j.sponsor_id = ${x} or j.requested_by = ${x})`);
  }
  if (f.beforeId !== undefined && f.beforeId !== null) where.push(`j.id < ${arg(f.beforeId)}`);
  return db.query<JobViewRow>(`${JOB_VIEW} where ${where.join(' and ')} order by j.id desc limit ${arg(limit)}`, args);
}

/** The challenge a job runs under: its collaboration's, as loaded. */
export async function collaborationChallenge(db: Queryable, collabId: number): Promise<ChallengeSpec> {
  const [row] = await db.query<{ challenge: ChallengeSpec }>('select challenge from collaborations where id = $1', [collabId]);
  return row!.challenge;
}

/** When a participant's smoke runs of the last 24 hours (by the database's clock `now`) were asked for, oldest first. */
export async function recentSmokeRunTimes(db: Queryable, collabId: number, participantId: number, now: Date): Promise<Date[]> {
  const rows = await db.query<{ created_at: Date }>(
    `select created_at from jobs where smoke and collaboration_id = $1 and requested_by = $2 and created_at > $3::timestamptz - interval '24 hours'
     order by created_at`, [collabId, participantId, now]);
  return rows.map((r) => r.created_at);
}
