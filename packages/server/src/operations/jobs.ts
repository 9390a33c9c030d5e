import {
  AgoraError,
  cancelAction,
  enforce,
  mayWorkNow,
  jobPeople,
  jobSponsor,
  mayCancelJob,
  mayQueueJob,
  mayReadLogs,
  mayRerunJob,
  maySmokeRun,
  releasedUpTo,
  rerunSponsor,
  type ChallengeSpec,
  type JobFacts,
  type JobState,
  type Role,
  type VerificationReason,
} from '@agora/core';
import { appendEvent, type Queryable } from '@agora/store';
import * as store from '@agora/store/jobs';
import type { JobRow, JobSubmissionRow } from '@agora/store/jobs';
import { insertVerification } from '@agora/store/integrity';
import type { Actor } from '../auth.ts';
import { access, accessAs, isoReq, type CollabAccess, type CollabRow } from '../collab.ts';
import type { OperationCtx } from './board.ts';
import { chargeJob, jobEvent, ownerQuotaOf, platformLog, quotaOf, transition } from './job-lifecycle.ts';

/**
 * What participants and organizers ask of jobs (queue, re-run, cancel, read, grant quota), as
 * operations any caller shares: the HTTP handlers, and later a verification scheduler or an
 * importer (docs/decisions/0074, 0085). Each finds the collaboration and the caller's role,
 * enforces core's decisions (core/src/jobs/permissions.ts) and writes in one transaction.
 */

type Acting = CollabAccess & { actor: Actor; role: Role };

async function submissionForJob(db: Queryable, collabId: number, id: number): Promise<JobSubmissionRow> {
  const s = await store.jobSubmission(db, collabId, id);
  if (!s) throw new AgoraError('not_found', `submission ${id} not found in this collaboration`, { submissionId: id });
  return s;
}

/** A split's visibility, or a validation error naming the challenge's splits. */
export function splitVisibility(challenge: ChallengeSpec, split: string): 'public' | 'private' {
  const s = challenge.splits?.[split];
  if (!s) throw new AgoraError('validation_failed', `unknown split "${split}"; this challenge has: ${Object.keys(challenge.splits ?? {}).join(', ')}`, { split });
  return s.visibility;
}

export const jobFacts = (j: JobRow): JobFacts => ({
  id: j.id, state: j.state, visibility: j.visibility, originatorId: j.originator_id, sponsorId: j.sponsor_id, requestedBy: j.requested_by, cancelRequested: j.cancel_requested,
});

interface NewJob {
  collab: CollabRow;
  submission: JobSubmissionRow;
  split: string;
  visibility: 'public' | 'private';
  repeats: number;
  requestedBy: { id: number; handle: string };
  /** Whose quota pays; null: uncharged (organizer verification and re-runs). */
  sponsorId: number | null;
  rerunOf: number | null;
  /** Why a private-split job runs: every one is a verification with a verdict (docs/decisions/0140). */
  verificationReason?: VerificationReason;
  /** A smoke run (decision 0180). */
  smoke?: boolean;
}

/** Inserts a queued job, charges its sponsor (atomically, or refuses), logs and announces it: one transaction. */
async function insertQueuedJob(tx: Queryable, n: NewJob): Promise<number> {
  const job = await store.insertJob(tx, {
    collabId: n.collab.id, submissionId: n.submission.id, split: n.split, visibility: n.visibility, repeats: n.repeats,
    hardware: n.collab.challenge.hardware, originatorId: n.submission.author_id, sponsorId: n.sponsorId, requestedBy: n.requestedBy.id, rerunOf: n.rerunOf, smoke: n.smoke ?? false,
  });
  if (n.sponsorId !== null) await chargeJob(tx, n.collab.id, n.sponsorId, job.id, n.collab.challenge);
  const people = jobPeople({ originator: n.submission.author_handle, sponsor: n.sponsorId === null ? null : n.sponsorId === n.submission.author_id ? n.submission.author_handle : n.requestedBy.handle, requestedBy: n.requestedBy.handle });
  const what = n.smoke ? 'smoke run (one untimed request on public data; never charged, never ranked) queued' : 'queued';
  await platformLog(tx, job, `[agora] ${what}: ${people}${n.rerunOf ? `, re-run of job ${n.rerunOf}` : ''}; needs a runner with labels [${n.collab.challenge.hardware.join(', ')}]`);
  await jobEvent(tx, job, 'job.queued', n.requestedBy.id, { state: 'queued', charged: n.sponsorId !== null, rerunOf: n.rerunOf, repeats: n.repeats });
  if (n.visibility === 'private') {
    const reason = n.verificationReason ?? 'organizer';
    const verificationId = await insertVerification(tx, { collabId: n.collab.id, submissionId: n.submission.id, jobId: job.id, split: n.split, reason, requestedBy: n.requestedBy.id });
    await appendEvent(tx, {
      collaborationId: n.collab.id, actorId: n.requestedBy.id, type: 'verification.queued', subject: `#s${n.submission.id}`,
      payload: { verificationId, submissionId: n.submission.id, jobId: job.id, split: n.split, reason },
    });
  }
  return job.id;
}

/**
 * The verifier's own queueing (server/src/verifier.ts): a private-split job of a ranked entry,
 * uncharged (the collaboration's budget, not the author's), requested by the verifier's identity;
 * the author cannot cancel it (core's mayCancelJob). Refused like an organizer's request would be.
 */
export async function queueVerificationJob(
  tx: Queryable, v: { collab: CollabRow; submissionId: number; split: string; reason: VerificationReason; requestedBy: { id: number; handle: string } },
): Promise<number> {
  const submission = await submissionForJob(tx, v.collab.id, v.submissionId);
  const repeats = v.collab.challenge.repeats ?? 3;
  enforce(mayQueueJob({
    role: 'organizer', actorId: v.requestedBy.id, split: v.split, visibility: 'private', repeats, challengeRepeats: repeats,
    submission: { id: submission.id, authorId: submission.author_id, staged: submission.staged, invalidated: submission.invalidated_at !== null,
      invalidatedReason: submission.invalidated_reason, withdrawn: submission.withdrawn_at !== null },
  }));
  return insertQueuedJob(tx, { collab: v.collab, submission, split: v.split, visibility: 'private', repeats, requestedBy: v.requestedBy, sponsorId: null, rerunOf: null, verificationReason: v.reason });
}

const requester = (a: Acting) => ({ id: a.actor.participantId, handle: a.actor.handle });

/** Queues a job of a submission on a split, charged to whoever core's rule says. */
export async function queueJob(ctx: OperationCtx, slug: string, req: { submissionId: number; split: string; repeats?: number }): Promise<{ access: Acting; jobId: number }> {
  const a = await accessAs(ctx.db, slug, ctx.actor, 'participant');
  const challenge = a.collab.challenge;
  const visibility = splitVisibility(challenge, req.split);
  const submission = await submissionForJob(ctx.db, a.collab.id, req.submissionId);
  const repeats = req.repeats ?? challenge.repeats ?? 3;
  const facts = {
    role: a.role, actorId: a.actor.participantId, split: req.split, visibility, repeats, challengeRepeats: challenge.repeats ?? 3,
    submission: { id: submission.id, authorId: submission.author_id, staged: submission.staged, invalidated: submission.invalidated_at !== null, invalidatedReason: submission.invalidated_reason,
      withdrawn: submission.withdrawn_at !== null },
  };
  enforce(mayQueueJob(facts));
  enforce(mayWorkNow(challenge.schedule, new Date(), a.role, 'no new jobs'));
  const jobId = await ctx.db.transaction((tx) =>
    insertQueuedJob(tx, { collab: a.collab, submission, split: req.split, visibility, repeats, requestedBy: requester(a), sponsorId: jobSponsor(facts), rerunOf: null }));
  return { access: a, jobId };
}

/**
 * A smoke run (decision 0180): uncharged, one untimed request on public data, never ranked. Counted
 * per requester under the same lock as their quota, so two racing requests cannot pass the limit.
 */
export async function smokeRun(ctx: OperationCtx, slug: string, submissionId: number): Promise<{ access: Acting; jobId: number }> {
  const a = await accessAs(ctx.db, slug, ctx.actor, 'participant');
  const challenge = a.collab.challenge;
  const submission = await submissionForJob(ctx.db, a.collab.id, submissionId);
  enforce(mayWorkNow(challenge.schedule, new Date(), a.role, 'no new jobs'));
  const split = Object.entries(challenge.splits ?? {}).find(([, s]) => s.visibility === 'public')?.[0] ?? 'public';
  const jobId = await ctx.db.transaction(async (tx) => {
    await store.lockParticipantQuota(tx, a.collab.id, a.actor.participantId);
    const now = await store.databaseClock(tx);
    enforce(maySmokeRun({
      role: a.role, actorId: a.actor.participantId, offered: challenge.smoke, now,
      recent: await store.recentSmokeRunTimes(tx, a.collab.id, a.actor.participantId, now),
      submission: { id: submission.id, authorId: submission.author_id, staged: submission.staged, invalidated: submission.invalidated_at !== null, invalidatedReason: submission.invalidated_reason, withdrawn: submission.withdrawn_at !== null },
    }));
    return insertQueuedJob(tx, { collab: a.collab, submission, split, visibility: 'public', repeats: 1, requestedBy: requester(a), sponsorId: null, rerunOf: null, smoke: true });
  });
  return { access: a, jobId };
}

/** Queues a new job like a finished one (same split and repeats), pointing back at it. */
export async function rerunJob(ctx: OperationCtx, slug: string, jobId: number): Promise<{ access: Acting; jobId: number }> {
  const a = await accessAs(ctx.db, slug, ctx.actor, 'participant');
  const old = await store.findJobView(ctx.db, a.collab.id, jobId);
  if (!old) throw new AgoraError('not_found', `job ${jobId} not found in this collaboration`, { jobId });
  const submission = await submissionForJob(ctx.db, a.collab.id, old.submission_id);
  const who = { role: a.role, actorId: a.actor.participantId };
  enforce(mayRerunJob({ ...who, job: jobFacts(old), submissionInvalidated: submission.invalidated_at !== null, submissionId: submission.id }));
  const id = await ctx.db.transaction((tx) =>
    insertQueuedJob(tx, { collab: a.collab, submission, split: old.split, visibility: old.visibility, repeats: old.repeats, requestedBy: requester(a), sponsorId: rerunSponsor(who), rerunOf: old.id }));
  return { access: a, jobId: id };
}

/** Cancels a queued job now (refunded), or asks the runner to stop a running one (charged: it started). */
export async function cancelJob(ctx: OperationCtx, slug: string, jobId: number, reason: string | undefined): Promise<{ access: Acting }> {
  const a = await accessAs(ctx.db, slug, ctx.actor, 'participant');
  await ctx.db.transaction(async (tx) => {
    const job = await store.lockJob(tx, jobId);
    if (!job || job.collaboration_id !== a.collab.id) throw new AgoraError('not_found', `job ${jobId} not found in this collaboration`);
    enforce(mayCancelJob({ role: a.role, actorId: a.actor.participantId, job: jobFacts(job) }));
    const why = `cancelled by @${a.actor.handle}${reason ? `: ${reason}` : ''}`;
    const action = cancelAction(jobFacts(job));
    if (action === 'cancel_queued') {
      await transition(tx, job, 'cancel_queued', { reason: `${why} before it started`, actorId: a.actor.participantId });
    } else if (action === 'request_cancel') {
      await store.requestCancel(tx, job.id, `${why}; waiting for the runner to stop it`);
      await platformLog(tx, job, `[agora] ${why}; the runner is asked to stop (charged: it had started)`);
      await jobEvent(tx, job, 'job.cancel_requested', a.actor.participantId, { state: 'running' });
    }
  });
  return { access: a };
}

// ---------------------------------------------------------------- reads

export async function getJob(ctx: OperationCtx, slug: string, jobId: number): Promise<{ access: CollabAccess; row: store.JobViewRow }> {
  const a = await access(ctx.db, slug, ctx.actor);
  return { access: a, row: await jobViewIn(ctx.db, a.collab.id, jobId) };
}

/** A job with its names, in this collaboration, or not_found. */
export async function jobViewIn(db: Queryable, collabId: number, jobId: number): Promise<store.JobViewRow> {
  const row = await store.findJobView(db, collabId, jobId);
  if (!row) throw new AgoraError('not_found', `job ${jobId} not found in this collaboration`, { jobId });
  return row;
}

export interface ListJobsInput {
  states?: JobState[];
  submissionId?: number;
  split?: string;
  overdue?: boolean;
  participant?: string;
  beforeId: number | null;
  /** Rows to fetch: the page size plus one, to know whether there is a next page. */
  limit: number;
}

export async function listJobs(ctx: OperationCtx, slug: string, q: ListJobsInput): Promise<{ access: CollabAccess; rows: store.JobViewRow[] }> {
  const a = await access(ctx.db, slug, ctx.actor);
  let participantId: number | undefined;
  if (q.participant) {
    participantId = await store.participantIdByHandle(ctx.db, q.participant);
    if (participantId === undefined) throw new AgoraError('not_found', `no participant @${q.participant}`);
  }
  const { participant: _p, limit, ...filter } = q;
  // Participants filter by the state they are shown: a private job's real end, before its release
  // time, would otherwise tell by which rows match when the submission ended it (decision 0087).
  const masked = a.role === 'organizer' ? {} : { privateReleasedUpTo: releasedUpTo(new Date(), a.collab.challenge.verification?.release_minutes ?? 60) };
  const rows = await store.listJobViews(ctx.db, a.collab.id, { ...filter, ...masked, ...(participantId !== undefined ? { participantId } : {}) }, limit);
  return { access: a, rows };
}

/** The job whose log the caller may read (private jobs' logs: organizers only). */
export async function jobForLogs(ctx: OperationCtx, slug: string, jobId: number): Promise<JobRow> {
  const a = await access(ctx.db, slug, ctx.actor);
  const job = await store.findJobIn(ctx.db, a.collab.id, jobId);
  if (!job) throw new AgoraError('not_found', `job ${jobId} not found in this collaboration`);
  enforce(mayReadLogs(a.role, job));
  return job;
}

/** A submission's scored results (for its pools) and a page of its jobs, newest first. */
export async function submissionJobs(ctx: OperationCtx, slug: string, submissionId: number, page: { beforeId: number | null; limit: number }) {
  const a = await access(ctx.db, slug, ctx.actor);
  await submissionForJob(ctx.db, a.collab.id, submissionId);
  // Of private splits, participants see results up to the last release time (decision 0087).
  const released = releasedUpTo(new Date(), a.collab.challenge.verification?.release_minutes ?? 60);
  const results = (await store.submissionResults(ctx.db, submissionId))
    .filter((r) => a.role === 'organizer' || splitVisibility(a.collab.challenge, r.split) === 'public' || r.created_at <= released);
  const rows = await store.listJobViews(ctx.db, a.collab.id, { submissionId, beforeId: page.beforeId }, page.limit);
  return { access: a, results, rows };
}

// ---------------------------------------------------------------- quota

export async function myQuota(ctx: OperationCtx, slug: string) {
  const a = await access(ctx.db, slug, ctx.actor);
  if (!ctx.actor) throw new AgoraError('unauthorized', 'this action needs an API key');
  const q = await quotaOf(ctx.db, a.collab.id, ctx.actor.participantId, a.collab.challenge);
  const o = await ownerQuotaOf(ctx.db, a.collab.id, ctx.actor.participantId, a.collab.challenge);
  return { quota: q, owner: o };
}

export async function grantQuota(ctx: OperationCtx, slug: string, g: { handle: string; extraJobs: number; reason: string; hours: number }) {
  const a = await accessAs(ctx.db, slug, ctx.actor, 'organizer');
  const p = await store.memberByHandle(ctx.db, a.collab.id, g.handle);
  if (!p) throw new AgoraError('not_found', `@${g.handle} is not a member of this collaboration`);
  return ctx.db.transaction(async (tx) => {
    const row = await store.insertGrant(tx, { collabId: a.collab.id, participantId: p.id, extraJobs: g.extraJobs, reason: g.reason, grantedBy: a.actor.participantId, hours: g.hours });
    await appendEvent(tx, {
      collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'quota.granted', subject: `@${p.handle}`,
      payload: { handle: p.handle, extraJobs: g.extraJobs, reason: g.reason, expiresAt: isoReq(row.expires_at) },
    });
    return { grant: row, participant: p, grantedBy: requester(a) };
  });
}
