import type { Db, Queryable } from '@agora/store';
import { jobEvent, lockJob, platformLog, RUNNER_ONLINE_SECONDS, transition, wakeLogReaders, type JobRow } from './job-ops.ts';

/**
 * No job stays in a state past its deadline without the platform noticing and saying so:
 * - running with an expired lease (its runner died or lost the network): re-queued for another
 *   attempt, or errored for good (refunded) after the retry limit, or cancelled if a cancel was asked;
 * - running past the challenge's wall limit × repeats plus a grace period while still heartbeating
 *   (the runner failed to stop it): timed out;
 * - queued past the queue deadline: flagged overdue with the reason (no runner with its labels
 *   online, or how busy they are) on the job and as a `job.overdue` event.
 * Each job is handled in its own transaction under its row lock, so sweepers on several server
 * processes (or a sweep racing a late runner) never act twice.
 */
export interface SweepOptions {
  /** Queued longer than this (since queued or since its last attempt ended): overdue. Default 1 h. */
  queueDeadlineSeconds?: number;
  /** Running longer than wall limit × repeats plus this, with a live lease: timed out. Default 10 min. */
  runningGraceSeconds?: number;
}

export interface SweepReport {
  requeued: number[];
  errored: number[];
  cancelled: number[];
  timedOut: number[];
  overdue: number[];
}

const BATCH = 200;

export async function sweepOnce(db: Db, opts: SweepOptions = {}): Promise<SweepReport> {
  const report: SweepReport = { requeued: [], errored: [], cancelled: [], timedOut: [], overdue: [] };
  const queueDeadline = opts.queueDeadlineSeconds ?? 3600;
  const grace = opts.runningGraceSeconds ?? 600;

  const expired = await db.query<{ id: number }>(
    `select id from jobs where state = 'running' and lease_expires_at < now() order by lease_expires_at limit ${BATCH}`);
  for (const { id } of expired) {
    await db.transaction(async (tx) => {
      const [job] = await tx.query<JobRow & { runner_name: string | null }>(
        `select j.*, r.name as runner_name from jobs j left join runners r on r.id = j.runner_id
         where j.id = $1 and j.state = 'running' and j.lease_expires_at < now() for update of j skip locked`, [id]);
      if (!job) return; // finished, extended or taken by another sweeper meanwhile
      const lost = `runner ${job.runner_name ?? job.runner_id} stopped heartbeating (lease expired at ${job.lease_expires_at!.toISOString()})`;
      if (job.cancel_requested) {
        await transition(tx, job, 'cancel_running', { reason: `cancelled; ${lost} before confirming`, actorId: null, outcome: 'lease_lost' });
        report.cancelled.push(id);
      } else if (job.attempt < job.max_attempts) {
        await transition(tx, job, 'retry', { reason: `attempt ${job.attempt} lost: ${lost}; re-queued for attempt ${job.attempt + 1} of ${job.max_attempts} (the platform's fault: not charged again)`, actorId: null, outcome: 'lease_lost' });
        report.requeued.push(id);
      } else {
        await transition(tx, job, 'give_up', { reason: `errored on all ${job.max_attempts} attempts (last: ${lost}); the quota is refunded and organizers can see it in the overdue and errored lists; re-run it when runners are healthy`, actorId: null, outcome: 'lease_lost' });
        report.errored.push(id);
      }
    });
  }

  const overrun = await db.query<{ id: number }>(
    `select j.id from jobs j join collaborations c on c.id = j.collaboration_id
     where j.state = 'running' and not j.offline
       and j.started_at + make_interval(secs => coalesce((c.challenge->'limits'->>'wall_seconds')::int, 600) * j.repeats + $1) < now()
     limit ${BATCH}`, [grace]);
  for (const { id } of overrun) {
    await db.transaction(async (tx) => {
      const job = await lockJob(tx, id);
      if (!job || job.state !== 'running') return;
      await transition(tx, job, 'time_out', {
        reason: `ran past the wall limit × ${job.repeats} repeats plus ${grace} s grace without a result; the platform stopped waiting (the runner is told to abort)`,
        actorId: null, outcome: 'timed_out',
      });
      report.timedOut.push(id);
    });
  }

  const late = await db.query<{ id: number }>(
    `select j.id from jobs j
     where j.state = 'queued' and j.overdue_at is null
       and greatest(j.queued_at, coalesce((select max(a.ended_at) from job_attempts a where a.job_id = j.id), j.queued_at)) < now() - make_interval(secs => $1)
     order by j.id limit ${BATCH}`, [queueDeadline]);
  for (const { id } of late) {
    await db.transaction(async (tx) => {
      const job = await lockJob(tx, id);
      if (!job || job.state !== 'queued' || job.overdue_at) return;
      const reason = await overdueReason(tx, job, queueDeadline);
      await tx.query('update jobs set overdue_at = now(), reason = $2 where id = $1', [id, reason]);
      await platformLog(tx, job, `[agora] overdue: ${reason}`);
      await wakeLogReaders(tx);
      await jobEvent(tx, job, 'job.overdue', null, { state: 'queued', reason });
      report.overdue.push(id);
    });
  }
  return report;
}

async function overdueReason(tx: Queryable, job: JobRow, deadline: number): Promise<string> {
  const [r] = await tx.query<{ online: number; busy: number }>(
    `select count(*)::int as online,
            count(*) filter (where exists (select 1 from jobs x where x.runner_id = r.id and x.state = 'running'))::int as busy
     from runners r
     where r.revoked_at is null and r.last_seen_at > now() - make_interval(secs => $1)
       and r.labels @> $2::text[] and (r.collaboration_ids is null or $3 = any(r.collaboration_ids))`,
    [RUNNER_ONLINE_SECONDS, job.hardware, job.collaboration_id]);
  const [ahead] = await tx.query<{ n: number }>(`select count(*)::int as n from jobs where state = 'queued' and hardware = $1 and id <> $2`, [job.hardware, job.id]);
  const waited = `still queued after more than ${Math.round(deadline / 60)} min`;
  if (!r!.online)
    return `${waited}: no runner with labels [${job.hardware.join(', ')}] is online for this collaboration; organizers must start one (the job keeps its place and is not charged more)`;
  return `${waited}: all ${r!.online} runner(s) with labels [${job.hardware.join(', ')}] are busy (${r!.busy} running, ${ahead!.n} other job(s) waiting); it keeps its place in the fair queue`;
}

/** Starts the periodic sweep; returns a function that stops it (and waits for a sweep in flight). */
export function startSweeper(db: Db, opts: SweepOptions & { intervalMs?: number } = {}): () => Promise<void> {
  const interval = opts.intervalMs ?? 5000;
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    running = sweepOnce(db, opts)
      .catch((err) => console.error('[agora] sweeper:', err))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, interval).unref();
      });
  };
  let timer: NodeJS.Timeout = setTimeout(tick, interval).unref();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await running;
  };
}
