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

/**
 * Figures of a private job reach participants coarsened: the submission chooses what it measures
 * and what its guardrails read (log-probabilities behind perplexity, its own speed), so every
 * digit shown is a channel out of the private split. Three significant digits, no sample counts
 * (docs/decisions/0087 bounds what one job can leak).
 */
export const PRIVATE_SIGNIFICANT_DIGITS = 3;
export const coarse = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(PRIVATE_SIGNIFICANT_DIGITS)) : x);
const meanOf = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * A result as the audience sees it. Of a private job, participants get the verdict (guardrails
 * passed or not, each guardrail's name, threshold and verdict) and the metric as one coarsened
 * mean in place of the samples; never guardrail values, their detail, per-prompt samples, extras
 * or how many samples there were.
 */
export function resultSeenBy(audience: Audience, job: { visibility: 'public' | 'private' }, result: JobResult): JobResult {
  if (seesPrivateDetails(job.visibility, audience)) return result;
  const samples = result.metric.samples;
  return {
    ...result,
    metric: { ...result.metric, samples: samples.length ? [coarse(meanOf(samples))] : [] },
    guardrails: result.guardrails.map((g) => ({ name: g.name, op: g.op, threshold: g.threshold, passed: g.passed })),
    samples: null,
    extra: {},
  };
}

/** A pooled score (leaderboard entry, a submission's pool) as the audience sees it: of a private split, the mean coarsened, no spread. */
export function poolSeenBy<P extends { mean: number; stdev: number | null; ciLow: number | null; ciHigh: number | null }>(
  audience: Audience, split: { visibility: 'public' | 'private' }, pool: P,
): P {
  if (seesPrivateDetails(split.visibility, audience)) return pool;
  return { ...pool, mean: coarse(pool.mean), stdev: null, ciLow: null, ciHigh: null };
}

/** What a scoring event says of the samples (the event log is read by everyone): of a private job, the coarsened mean only. */
export function scoreSummaryForEveryone(job: { visibility: 'public' | 'private' }, samples: readonly number[]): { mean: number; n?: number } {
  const mean = meanOf(samples);
  return job.visibility === 'private' ? { mean: coarse(mean) } : { mean, n: samples.length };
}

/** Logs of a private job quote its data: organizers only. */
export function mayReadLogs(audience: Audience, job: { visibility: 'public' | 'private' }): Decision {
  if (seesPrivateDetails(job.visibility, audience)) return null;
  return refuse('forbidden', 'logs of private-split jobs are visible to organizers only: they may quote private data');
}

/**
 * `compare` as the audience sees it: of a private split, participants get the verdict and the
 * ratio (and each side's centre) to 3 significant digits, no interval, no p-value and no counts,
 * so a comparison carries no more of the private split than the coarsened figures of 0087 plus
 * its verdict (better, worse, tie, insufficient: 2 bits).
 */
export function comparisonSeenBy<
  C extends { ratio: { estimate: number; low: number | null; high: number | null }; p: number | null; a: Side; b: Side },
  Side extends { jobs: number | null; n: number | null; center: number; ciLow: number | null; ciHigh: number | null },
>(audience: Audience, split: { visibility: 'public' | 'private' }, c: C): C {
  if (seesPrivateDetails(split.visibility, audience)) return c;
  const side = (s: Side): Side => ({ ...s, jobs: null, n: null, center: coarse(s.center), ciLow: null, ciHigh: null });
  return { ...c, ratio: { estimate: coarse(c.ratio.estimate), low: null, high: null }, p: null, a: side(c.a), b: side(c.b) };
}

/** The parts of a shaped job whose timing a submission controls (when it ends, and so when each state and time appears). */
export interface TimedJob {
  visibility: 'public' | 'private';
  state: JobState;
  reason: string | null;
  refunded: boolean;
  leaseExpiresAt: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: Array<{ startedAt: string; endedAt: string | null; outcome: string | null; reason: string | null }>;
  result: unknown;
}

/**
 * A private job's timing as participants see it (decision 0087): a submission chooses how long it
 * runs, so the moment its job ends is a channel. Until the release time after its end
 * (`release_minutes`, core releaseAt) the job reads as still running, with no result; after it,
 * it reads as ended at that release time. Its other times are floored to the release period and
 * the lease (renewed by heartbeats) is not shown. So one job tells at most which period it ended in.
 */
export function jobTimingSeenBy<J extends TimedJob>(audience: Audience, job: J, now: Date, releaseMinutes: number): J {
  if (seesPrivateDetails(job.visibility, audience) || releaseMinutes <= 0) return job;
  const period = releaseMinutes * 60_000;
  const floor = (s: string) => new Date(Math.floor(new Date(s).getTime() / period) * period).toISOString();
  const ceil = (s: string) => new Date(Math.ceil(new Date(s).getTime() / period) * period).toISOString();
  const released = !job.finishedAt || new Date(ceil(job.finishedAt)) <= now;
  const attempts = job.attempts.map((a) => ({
    ...a, startedAt: floor(a.startedAt), endedAt: released && a.endedAt ? ceil(a.endedAt) : null,
    outcome: released ? a.outcome : null, reason: released ? a.reason : null,
  }));
  const times = { createdAt: floor(job.createdAt), startedAt: job.startedAt && floor(job.startedAt), leaseExpiresAt: null, attempts };
  if (released) return { ...job, ...times, finishedAt: job.finishedAt && ceil(job.finishedAt) };
  return { ...job, ...times, state: 'running', reason: null, refunded: false, finishedAt: null, result: null };
}

/**
 * Events of private jobs that participants do not see as they happen: every move after the job
 * started says when the submission ended it. They learn the outcome from the job at its release
 * time and from the verifier's `verification.decided`.
 */
export const isPrivateJobOutcomeEvent = (type: string, payload: unknown): boolean =>
  type.startsWith('job.') && type !== 'job.queued' && type !== 'job.started' && (payload as { visibility?: string } | null)?.visibility === 'private';
