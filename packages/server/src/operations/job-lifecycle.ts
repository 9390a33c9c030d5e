import { createHash } from 'node:crypto';
import { AgoraError, edge, isTerminal, quotaLimit, quotaState, reasonSeenBy, type ChallengeSpec, type JobEventType, type JobState, type Transition } from '@agora/core';
import { appendEvent, type NewEvent, type Queryable } from '@agora/store';
import {
  activeGrants,
  appendLogLine,
  databaseClock,
  endAttempt,
  insertCharge,
  liveChargeTimes,
  liveOwnerChargeTimes,
  lockOwnerQuota,
  lockParticipantQuota,
  ownerOf,
  participantHandles,
  refundCharge,
  setJobState,
  wakeLogReaders,
  type JobRow,
} from '@agora/store/jobs';

/**
 * The job lifecycle as operations: quota check-and-charge, and state transitions with their log
 * line and event. Job requests (operations/jobs.ts), the runner protocol (routes/runner.ts) and
 * the sweeper call these inside their transactions; every transition writes its event in the same
 * transaction.
 */

export const LEASE_SECONDS = 60;
export const OFFLINE_MARGIN_SECONDS = 1800;
export const OFFLINE_MAX_SECONDS = 48 * 3600;
/** Runners seen within this many seconds count as online (queue estimates, overdue reasons). */
export const RUNNER_ONLINE_SECONDS = 120;

export const hashLease = (token: string) => createHash('sha256').update(token).digest('hex');

// ---------------------------------------------------------------- quota

export async function quotaOf(db: Queryable, collabId: number, participantId: number, challenge: ChallengeSpec, now = new Date()) {
  const base = challenge.quota?.jobs_per_day ?? 10;
  const charges = await liveChargeTimes(db, collabId, participantId, now);
  const limit = quotaLimit(base, await activeGrants(db, collabId, participantId, now), now);
  return { ...quotaState(charges, limit, now), base, granted: limit - base };
}

/** The per-owner quota (`jobs_per_owner_per_day`): all agents of one human owner together; null when the challenge sets none. */
export async function ownerQuotaOf(db: Queryable, collabId: number, participantId: number, challenge: ChallengeSpec, now = new Date()) {
  const limit = challenge.quota?.jobs_per_owner_per_day;
  if (limit === undefined) return null;
  const owner = await ownerOf(db, participantId);
  const charges = await liveOwnerChargeTimes(db, collabId, owner, now);
  return { owner, ...quotaState(charges, limit, now) };
}

/** Charges one job to a participant's quota (and its owner's, where the challenge sets one), or refuses with how many are used and when the next frees up. */
export async function chargeJob(tx: Queryable, collabId: number, participantId: number, jobId: number, challenge: ChallengeSpec): Promise<void> {
  // Locks in a fixed order (owner, then participant), so two chargers never deadlock.
  if (challenge.quota?.jobs_per_owner_per_day !== undefined) await lockOwnerQuota(tx, collabId, participantId);
  await lockParticipantQuota(tx, collabId, participantId);
  // The database's clock, read after the lock: every charge compares against the same clock.
  const now = await databaseClock(tx);
  const q = await quotaOf(tx, collabId, participantId, challenge, now);
  if (q.remaining <= 0) {
    throw new AgoraError(
      'quota_exceeded',
      `job quota used up: ${q.used} of ${q.limit} jobs in the last 24 hours; the next one frees up at ${q.availableAt.toISOString()}`,
      { scope: 'participant', limit: q.limit, used: q.used, remaining: 0, nextFreesAt: q.availableAt.toISOString(), windowHours: 24 },
    );
  }
  const o = await ownerQuotaOf(tx, collabId, participantId, challenge, now);
  if (o && o.remaining <= 0) {
    throw new AgoraError(
      'quota_exceeded',
      `the agents of owner "${o.owner}" used ${o.used} of ${o.limit} jobs in the last 24 hours together; the next one frees up at ${o.availableAt.toISOString()}`,
      { scope: 'owner', owner: o.owner, limit: o.limit, used: o.used, remaining: 0, nextFreesAt: o.availableAt.toISOString(), windowHours: 24 },
    );
  }
  await insertCharge(tx, { collabId, participantId, jobId, chargedAt: now });
}

// ---------------------------------------------------------------- transitions

/** A line from the platform itself in the job's log (state changes, reasons), or a runner's reason on the `runner` stream. */
export const platformLog = (tx: Queryable, job: Pick<JobRow, 'id' | 'attempt'>, text: string, stream: 'platform' | 'runner' = 'platform') =>
  appendLogLine(tx, job, text, stream);

export async function jobEvent(
  tx: Queryable,
  job: Pick<JobRow, 'id' | 'collaboration_id' | 'submission_id' | 'split' | 'visibility' | 'attempt' | 'originator_id' | 'sponsor_id'> & { smoke?: boolean },
  type: JobEventType,
  actorId: number | null,
  payload: Record<string, unknown> = {},
): Promise<void> {
  const people = await participantHandles(tx, [job.originator_id, job.sponsor_id ?? job.originator_id]);
  const handle = (id: number | null) => (id === null ? null : people.find((p) => p.id === id)?.handle ?? null);
  await appendEvent(tx, {
    collaborationId: job.collaboration_id,
    actorId,
    type,
    subject: `#j${job.id}`,
    payload: {
      jobId: job.id, submissionId: job.submission_id, split: job.split, visibility: job.visibility, attempt: job.attempt,
      originatorId: job.originator_id, originator: handle(job.originator_id), sponsorId: job.sponsor_id, sponsor: handle(job.sponsor_id), ...(job.smoke ? { smoke: true } : {}), ...payload,
    },
  } as NewEvent<JobEventType>); // the extra fields vary by type: appendEvent checks them against the type's schema
}

/**
 * Moves a locked job along one edge of the lifecycle table: updates the job, closes the attempt,
 * refunds where the edge says so, logs the reason and appends the event. The caller holds the
 * row lock (lockJob) and has checked that the edge applies.
 */
export async function transition(
  tx: Queryable,
  job: JobRow,
  t: Transition,
  opts: { reason: string; actorId: number | null; outcome?: string; payload?: Record<string, unknown> },
): Promise<JobState> {
  const e = edge(t, job.state);
  await setJobState(tx, job.id, e.to, opts.reason, isTerminal(e.to));
  if (job.state === 'running') await endAttempt(tx, job.id, job.attempt, opts.outcome ?? e.to, opts.reason);
  const refunded = e.charge === 'refund' ? await refundCharge(tx, job.id, opts.reason) : false;
  await platformLog(tx, job, `[agora] ${e.to}: ${opts.reason}${refunded ? ' (quota refunded)' : ''}`);
  await wakeLogReaders(tx);
  // The event log is read by everyone: the reason as everyone may see it.
  await jobEvent(tx, job, e.event, opts.actorId, { state: e.to, reason: reasonSeenBy(null, job, e.to, opts.reason), refunded, ...opts.payload });
  return e.to;
}
