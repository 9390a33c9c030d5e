import type { ChallengeSpec } from '@agora/core';
import type { Queryable } from '../db.ts';
import type { JobRow } from './rows.ts';

/** What the fair queue orders: queued and running jobs, in the shapes core's fairOrder takes. */

export interface QueuedJobRow {
  id: number;
  collaborationId: number;
  /** Who asked for the job: the fair queue's owner. */
  ownerId: number;
  queuedAt: Date;
  hardware: string[];
  repeats: number;
  smoke: boolean;
}

export interface RunningJobRow {
  ownerId: number;
  collaborationId: number;
  hardware: string[];
}

const QUEUED_COLUMNS = 'id, collaboration_id as "collaborationId", requested_by as "ownerId", queued_at as "queuedAt", hardware, repeats, smoke';

/** Every queued job, with its collaboration's challenge (for wait estimates). */
export async function queuedJobsWithChallenge(db: Queryable): Promise<Array<QueuedJobRow & { challenge: ChallengeSpec }>> {
  return db.query<QueuedJobRow & { challenge: ChallengeSpec }>(
    `select j.id, j.collaboration_id as "collaborationId", j.requested_by as "ownerId", j.queued_at as "queuedAt", j.hardware, j.repeats, j.smoke, c.challenge
     from jobs j join collaborations c on c.id = j.collaboration_id where j.state = 'queued'`);
}

/** Queued jobs a runner with these labels may take (all its collaborations when null), oldest first. */
export async function claimableJobs(db: Queryable, labels: string[], collaborationIds: number[] | null, limit = 2000): Promise<QueuedJobRow[]> {
  return db.query<QueuedJobRow>(
    `select ${QUEUED_COLUMNS} from jobs
     where state = 'queued' and hardware <@ $1::text[] and ($2::int[] is null or collaboration_id = any($2::int[]))
     order by queued_at, id limit $3`, [labels, collaborationIds, limit]);
}

export async function runningJobs(db: Queryable): Promise<RunningJobRow[]> {
  return db.query<RunningJobRow>(`select requested_by as "ownerId", collaboration_id as "collaborationId", hardware from jobs where state = 'running'`);
}

/** Locks the job if it is still queued and nobody else holds it (another runner claiming it is skipped, not waited for). */
export async function lockQueuedForClaim(tx: Queryable, jobId: number): Promise<(JobRow & { challenge: ChallengeSpec; slug: string }) | undefined> {
  const [job] = await tx.query<JobRow & { challenge: ChallengeSpec; slug: string }>(
    `select j.*, c.challenge, c.slug from jobs j join collaborations c on c.id = j.collaboration_id
     where j.id = $1 and j.state = 'queued' for update of j skip locked`, [jobId]);
  return job;
}

/** Mean run time per collaboration over its last 500 finished runs of the past 7 days. */
export async function recentRunSeconds(db: Queryable): Promise<Map<number, number>> {
  const rows = await db.query<{ collaboration_id: number; seconds: number }>(
    `select collaboration_id, avg(extract(epoch from finished_at - started_at))::float8 as seconds
     from (select collaboration_id, finished_at, started_at from jobs
           where state in ('succeeded', 'guardrail_failed', 'failed', 'timed_out') and started_at is not null and finished_at > now() - interval '7 days'
           order by finished_at desc limit 500) recent group by collaboration_id`);
  return new Map(rows.map((d) => [d.collaboration_id, d.seconds]));
}

/** Other queued jobs needing exactly these labels. */
export async function queuedAhead(db: Queryable, hardware: string[], exceptJobId: number): Promise<number> {
  const [row] = await db.query<{ n: number }>(`select count(*)::int as n from jobs where state = 'queued' and hardware = $1 and id <> $2`, [hardware, exceptJobId]);
  return row!.n;
}
