import type { Role } from '../schemas/identity.ts';
import type { JobResult, JobState } from '../schemas/jobs.ts';
import { refuse, type Decision } from '../decision.ts';

/**
 * What a job, its result and its log look like to whom: the one place private-split redaction is
 * decided (docs/decisions/0059). A private split's data must not reach participants, and a
 * runner's words about a private job (failure reasons, crash messages, guardrail details, per-
 * prompt samples, extras, logs) may quote it. Organizers see everything. `null` as the audience
 * means everyone: the event log and anonymous observers.
 */
export type Audience = Role | null;

export const seesPrivateDetails = (visibility: 'public' | 'private', audience: Audience) => visibility === 'public' || audience === 'organizer';

/** The stand-in for a runner's text about a private job, wherever that text would be quoted to everyone. */
export const PRIVATE_RUNNER_TEXT = 'see the log (organizers only: private split)';

/**
 * A job's reason as the audience sees it. The reasons a runner writes (failed, timed out, and the
 * succeeded summary) are replaced for a private job; the platform's own (lease, queue, cancel)
 * never quote private data and stay.
 */
export function reasonSeenBy(audience: Audience, job: { visibility: 'public' | 'private' }, state: JobState, reason: string | null): string | null {
  if (seesPrivateDetails(job.visibility, audience) || !reason) return reason;
  if (state === 'failed' || state === 'timed_out' || state === 'succeeded' || state === 'guardrail_failed')
    return `${state} on the private split; the runner's reason is visible to organizers only (it may quote private data)`;
  return reason;
}

/** An attempt's reason: errored and lost-lease attempts carry the platform's words; the others the runner's, redacted like a failure. */
export function attemptReasonSeenBy(audience: Audience, job: { visibility: 'public' | 'private' }, outcome: string | null, reason: string | null): string | null {
  if (outcome === 'errored' || outcome === 'lease_lost') return reason;
  return reasonSeenBy(audience, job, 'failed', reason);
}

/** A runner's text as quoted inside a platform reason (retries, cancels) everyone reads. */
export const runnerTextForEveryone = (job: { visibility: 'public' | 'private' }, text: string | null): string | null =>
  job.visibility === 'private' && text ? PRIVATE_RUNNER_TEXT : text;

/** A result as the audience sees it: guardrail verdicts and values stay, their free-form detail, per-prompt samples and extras go. */
export function resultSeenBy(audience: Audience, job: { visibility: 'public' | 'private' }, result: JobResult): JobResult {
  if (seesPrivateDetails(job.visibility, audience)) return result;
  return {
    ...result,
    guardrails: result.guardrails.map(({ detail: _detail, ...g }) => g),
    samples: null,
    extra: {},
  };
}

/** Logs of a private job quote its data: organizers only. */
export function mayReadLogs(audience: Audience, job: { visibility: 'public' | 'private' }): Decision {
  if (seesPrivateDetails(job.visibility, audience)) return null;
  return refuse('forbidden', 'logs of private-split jobs are visible to organizers only: they may quote private data');
}
