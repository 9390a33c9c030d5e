import { refuse, type Decision } from '../decision.ts';
import type { Role } from '../schemas/identity.ts';
import type { JobState } from '../schemas/jobs.ts';
import { isTerminal } from './lifecycle.ts';

/**
 * Who may queue, sponsor, re-run and cancel a job: pure decisions over plain facts, so each rule
 * is a row in a table of cases (permissions.test.ts) rather than a branch inside a handler
 * (docs/decisions/0074). Each `may…` answers null (allowed) or the refusal; `jobSponsor` and
 * `cancelAction` say what an allowed request does.
 */
export interface QueueRequest {
  role: Role;
  actorId: number;
  split: string;
  visibility: 'public' | 'private';
  submission: { id: number; authorId: number; staged: boolean; invalidated: boolean; invalidatedReason: string | null; withdrawn?: boolean };
  repeats: number;
  /** The challenge's repeats per job: participants may ask for fewer, organizers for more. */
  challengeRepeats: number;
}

/**
 * May this actor queue a job? Private splits are organizers' verification runs (uncharged); a
 * public run of someone else's submission needs it staged and is charged to the one who asks
 * (a sponsorship).
 */
export function mayQueueJob(q: QueueRequest): Decision {
  const organizer = q.role === 'organizer';
  // Permission before state (issue 12): someone who may not run it learns nothing of its state.
  if (q.visibility === 'private' && !organizer)
    return refuse('forbidden', `split "${q.split}" is private: only organizers run verification jobs on it`);
  if (q.visibility === 'public' && q.submission.authorId !== q.actorId && !q.submission.staged && !organizer)
    return refuse('forbidden', `submission ${q.submission.id} is not staged: only its author may run it (the author can stage it to ask others to sponsor a run)`);
  if (q.submission.invalidated)
    return refuse('conflict', `submission ${q.submission.id} was invalidated: ${q.submission.invalidatedReason ?? 'by an organizer ruling'}`, { submissionId: q.submission.id });
  if (q.submission.withdrawn) return refuse('conflict', `submission ${q.submission.id} was withdrawn by its author`, { submissionId: q.submission.id });
  if (!organizer && q.repeats > q.challengeRepeats)
    return refuse('validation_failed', `at most ${q.challengeRepeats} repeats per job in this challenge; queue more jobs to measure more (their samples pool)`, { max: q.challengeRepeats });
  return null;
}

/** Whose quota pays for a new job: the one who asks, except for private-split verification (uncharged). */
export const jobSponsor = (q: { actorId: number; visibility: 'public' | 'private' }): number | null => (q.visibility === 'private' ? null : q.actorId);

/** The parts of a job the decisions below read. */
export interface JobFacts {
  id: number;
  state: JobState;
  visibility: 'public' | 'private';
  originatorId: number;
  sponsorId: number | null;
  requestedBy: number;
  cancelRequested: boolean;
}

/** States a job's author may re-run it from: the runs that gave no score. A success is measured again with a new job. */
export const RERUNNABLE_BY_AUTHOR: ReadonlySet<JobState> = new Set(['failed', 'errored', 'timed_out', 'cancelled']);

/**
 * May this actor re-run a finished job? Organizers re-run anything, uncharged; the originator or
 * requester re-runs a public job that gave no score, charged to them.
 */
export function mayRerunJob(r: { role: Role; actorId: number; job: JobFacts; submissionInvalidated: boolean; submissionId: number }): Decision {
  const { job } = r;
  const organizer = r.role === 'organizer';
  // Permission before state (issue 12): someone who may not re-run it learns nothing of its state.
  if (!organizer) {
    if (job.originatorId !== r.actorId && job.requestedBy !== r.actorId)
      return refuse('forbidden', 'only organizers, or the job\'s originator or requester, may re-run it');
    if (job.visibility === 'private') return refuse('forbidden', 'private-split jobs are re-run by organizers');
  }
  if (!isTerminal(job.state)) return refuse('conflict', `job ${job.id} is still ${job.state}; re-run it once it has finished`, { state: job.state });
  if (!organizer && !RERUNNABLE_BY_AUTHOR.has(job.state))
    return refuse('conflict', `job ${job.id} ${job.state === 'succeeded' ? 'succeeded' : 'scored but failed a guardrail'}; to measure again, queue a new job (each run counts in the pooled score)`, { state: job.state });
  if (r.submissionInvalidated) return refuse('conflict', `submission ${r.submissionId} was invalidated; it is not re-run`);
  return null;
}

/** Whose quota pays for a re-run: organizers' are uncharged, anyone else's is charged to them. */
export const rerunSponsor = (r: { role: Role; actorId: number }): number | null => (r.role === 'organizer' ? null : r.actorId);

/** What a cancel does: stop a queued job now, ask the runner to stop a running one, or nothing (asked already). */
export type CancelAction = 'cancel_queued' | 'request_cancel' | 'already_requested';

/**
 * May this actor cancel the job? Its requester, originator or sponsor, or an organizer, while it has
 * not finished. A private-split job is an organizers' verification of someone's submission: its
 * author (the originator) must not be able to stop it, so only organizers cancel those.
 */
export function mayCancelJob(c: { role: Role; actorId: number; job: JobFacts }): Decision {
  const { job } = c;
  const mine = [job.requestedBy, job.sponsorId, job.originatorId].includes(c.actorId);
  if (c.role !== 'organizer' && job.visibility === 'private')
    return refuse('forbidden', `job ${job.id} is an organizers' verification run on a private split: only organizers may cancel it`);
  if (!mine && c.role !== 'organizer') return refuse('forbidden', 'only the job\'s requester, originator or sponsor, or an organizer, may cancel it');
  if (isTerminal(job.state)) return refuse('conflict', `job ${job.id} already finished (${job.state}); nothing to cancel`, { state: job.state });
  return null;
}

/** What an allowed cancel does to an unfinished job. */
export const cancelAction = (job: Pick<JobFacts, 'state' | 'cancelRequested'>): CancelAction =>
  job.state === 'queued' ? 'cancel_queued' : job.cancelRequested ? 'already_requested' : 'request_cancel';
