import type { Queryable } from '../db.ts';
import type { JobRow } from './rows.ts';

/** What the sweeper looks for: jobs past a deadline in their state. Each is then handled under its own row lock. */

export async function expiredLeaseJobIds(db: Queryable, limit: number): Promise<number[]> {
  const rows = await db.query<{ id: number }>(`select id from jobs where state = 'running' and lease_expires_at < now() order by lease_expires_at limit $1`, [limit]);
  return rows.map((r) => r.id);
}

/** The job, locked, if its lease is still expired and no other sweeper holds it. */
export async function lockExpiredLease(tx: Queryable, jobId: number): Promise<(JobRow & { runner_name: string | null }) | undefined> {
  const [job] = await tx.query<JobRow & { runner_name: string | null }>(
    `select j.*, r.name as runner_name from jobs j left join runners r on r.id = j.runner_id
     where j.id = $1 and j.state = 'running' and j.lease_expires_at < now() for update of j skip locked`, [jobId]);
  return job;
}

/** Online jobs running longer than the challenge's wall limit × repeats plus `graceSeconds`. */
export async function overrunJobIds(db: Queryable, graceSeconds: number, limit: number): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    `select j.id from jobs j join collaborations c on c.id = j.collaboration_id
     where j.state = 'running' and not j.offline
       and j.started_at + make_interval(secs => coalesce((c.challenge->'limits'->>'wall_seconds')::int, 600) * j.repeats + $1) < now()
     limit $2`, [graceSeconds, limit]);
  return rows.map((r) => r.id);
}

/** Queued jobs not yet flagged whose wait (since queued, or since their last attempt ended) passed `deadlineSeconds`. */
export async function lateQueuedJobIds(db: Queryable, deadlineSeconds: number, limit: number): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    `select j.id from jobs j
     where j.state = 'queued' and j.overdue_at is null
       and greatest(j.queued_at, coalesce((select max(a.ended_at) from job_attempts a where a.job_id = j.id), j.queued_at)) < now() - make_interval(secs => $1)
     order by j.id limit $2`, [deadlineSeconds, limit]);
  return rows.map((r) => r.id);
}

/** The database's wall clock now (the clock lease deadlines are written in), ms since the epoch. */
export async function databaseClockMs(db: Queryable): Promise<number> {
  const [row] = await db.query<{ now: Date }>('select clock_timestamp() as now');
  return row!.now.getTime();
}

const LEASE_LENGTH = `make_interval(secs => case when offline then $2::int else $1::int end)`;

/**
 * Leases further ahead than any lease is granted for (online: `leaseSeconds`, offline:
 * `offlineSeconds`): the database's clock went back since they were written. Each is brought back
 * to its full length from now, so a dead runner's lease ends within one lease length, not the
 * length of the jump. Answers the jobs changed.
 */
export async function clampLeases(db: Queryable, leaseSeconds: number, offlineSeconds: number): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    `update jobs set lease_expires_at = now() + ${LEASE_LENGTH}
     where state = 'running' and lease_expires_at > now() + ${LEASE_LENGTH} returning id`, [leaseSeconds, offlineSeconds]);
  return rows.map((r) => r.id);
}

/**
 * After a jump of the database's clock: every running job's lease gets its full length from now,
 * and its running time starts again (how long it ran by the old clock is unknown). A jump forward
 * would otherwise expire every lease and time out every running job at once. Answers the jobs changed.
 */
export async function reanchorRunningJobs(db: Queryable, leaseSeconds: number, offlineSeconds: number): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    `update jobs set lease_expires_at = now() + ${LEASE_LENGTH}, started_at = now() where state = 'running' returning id`, [leaseSeconds, offlineSeconds]);
  return rows.map((r) => r.id);
}
