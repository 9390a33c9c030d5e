import { clockJumpTracker, type ClockReading } from '@agora/core';
import type { Db, Queryable } from '@agora/store';
import {
  clampLeases,
  databaseClockMs,
  expiredLeaseJobIds,
  lateQueuedJobIds,
  lockExpiredLease,
  lockJob,
  markOverdue,
  overrunJobIds,
  queuedAhead,
  reanchorRunningJobs,
  wakeLogReaders,
  type JobRow,
} from '@agora/store/jobs';
import { runnerAvailability } from '@agora/store/runners';
import { jobEvent, LEASE_SECONDS, OFFLINE_MAX_SECONDS, platformLog, RUNNER_ONLINE_SECONDS, transition } from './operations/job-lifecycle.ts';

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
  /** How far the database's clock jumped since the previous sweep (ms; startSweeper measures it). */
  clockJumpMs?: number;
}

export interface SweepReport {
  /** Leases given their full length again after a clock jump (either way). */
  reanchored: number[];
  requeued: number[];
  errored: number[];
  cancelled: number[];
  timedOut: number[];
  overdue: number[];
}

const BATCH = 200;

export async function sweepOnce(db: Db, opts: SweepOptions = {}): Promise<SweepReport> {
  const report: SweepReport = { reanchored: [], requeued: [], errored: [], cancelled: [], timedOut: [], overdue: [] };
  const queueDeadline = opts.queueDeadlineSeconds ?? 3600;
  const grace = opts.runningGraceSeconds ?? 600;

  // Clock jumps first (decision 0096): a jump is not time that passed, and a lease can never lie
  // further ahead than its length (the clock went back, seen or not). Both are idempotent, so
  // sweepers on several processes may each do them.
  if (opts.clockJumpMs) report.reanchored.push(...(await reanchorRunningJobs(db, LEASE_SECONDS, OFFLINE_MAX_SECONDS)));
  report.reanchored.push(...(await clampLeases(db, LEASE_SECONDS, OFFLINE_MAX_SECONDS)));

  for (const id of await expiredLeaseJobIds(db, BATCH)) {
    await db.transaction(async (tx) => {
      const job = await lockExpiredLease(tx, id);
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

  for (const id of await overrunJobIds(db, grace, BATCH)) {
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

  for (const id of await lateQueuedJobIds(db, queueDeadline, BATCH)) {
    await db.transaction(async (tx) => {
      const job = await lockJob(tx, id);
      if (!job || job.state !== 'queued' || job.overdue_at) return;
      const reason = await overdueReason(tx, job, queueDeadline);
      await markOverdue(tx, id, reason);
      await platformLog(tx, job, `[agora] overdue: ${reason}`);
      await wakeLogReaders(tx);
      await jobEvent(tx, job, 'job.overdue', null, { state: 'queued', reason });
      report.overdue.push(id);
    });
  }
  return report;
}

async function overdueReason(tx: Queryable, job: JobRow, deadline: number): Promise<string> {
  const r = await runnerAvailability(tx, RUNNER_ONLINE_SECONDS, job.hardware, job.collaboration_id);
  const ahead = await queuedAhead(tx, job.hardware, job.id);
  const waited = `still queued after more than ${Math.round(deadline / 60)} min`;
  if (!r.online)
    return `${waited}: no runner with labels [${job.hardware.join(', ')}] is online for this collaboration; organizers must start one (the job keeps its place and is not charged more)`;
  return `${waited}: all ${r.online} runner(s) with labels [${job.hardware.join(', ')}] are busy (${r.busy} running, ${ahead} other job(s) waiting); it keeps its place in the fair queue`;
}

/**
 * Starts the periodic sweep; returns a function that stops it (and waits for a sweep in flight).
 * Each sweep reads the database's wall clock beside this process's monotonic one (`readClock`,
 * injectable for tests) and tells sweepOnce how far the wall clock jumped since the last sweep.
 */
export function startSweeper(db: Db, opts: SweepOptions & { intervalMs?: number; readClock?: () => Promise<ClockReading> } = {}): () => Promise<void> {
  const interval = opts.intervalMs ?? 5000;
  const readClock = opts.readClock ?? (async () => ({ wallMs: await databaseClockMs(db), monoMs: performance.now() }));
  const jumpOf = clockJumpTracker();
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const sweep = async () => {
    const clockJumpMs = jumpOf(await readClock());
    if (clockJumpMs) console.error(`[agora] sweeper: the database's clock jumped ${Math.round(clockJumpMs / 1000)} s; running jobs' leases start again from now`);
    return sweepOnce(db, { ...opts, clockJumpMs });
  };
  const tick = () => {
    if (stopped) return;
    running = sweep()
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
