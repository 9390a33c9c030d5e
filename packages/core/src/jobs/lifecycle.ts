import type { JobEventType } from '../schemas/event.ts';
import type { JobState } from '../schemas/jobs.ts';

/**
 * The job lifecycle as a table: every state change the platform makes is one of these edges, and
 * each edge says whether the job stays charged. Nothing moves a job out of a terminal state; a
 * re-run is a new job pointing at the old one.
 *
 *   queued ──claim──▶ running ──result──▶ succeeded | guardrail_failed | failed | timed_out
 *     │                 │ └─errored / lease lost─▶ queued (attempt + 1)  or  errored (retry limit)
 *     └─cancel──▶ cancelled (refunded)     └─cancel──▶ cancelled (charged: it ran)
 */
export const TERMINAL: ReadonlySet<JobState> = new Set(['succeeded', 'guardrail_failed', 'failed', 'errored', 'timed_out', 'cancelled']);

/** Terminal states whose job recorded a result: it scored (the leaderboard shows both; it ranks only passes). */
export const SCORED: ReadonlySet<JobState> = new Set(['succeeded', 'guardrail_failed']);

export type Transition =
  | 'claim' // queued → running
  | 'succeed' // running → succeeded
  | 'reject' // running → guardrail_failed: scored, but a guardrail failed (the submission's fault)
  | 'fail' // running → failed: the submission's fault
  | 'time_out' // running → timed_out: past the wall limit
  | 'retry' // running → queued: infrastructure's fault or lease lost, attempts left
  | 'give_up' // running → errored: infrastructure's fault, no attempts left
  | 'cancel_queued' // queued → cancelled
  | 'cancel_running'; // running → cancelled (the runner stopped, or its lease ran out after a cancel)

export interface Edge {
  from: JobState;
  to: JobState;
  /** What happens to the quota charge: kept, or refunded. */
  charge: 'keep' | 'refund';
  event: JobEventType;
}

export const TRANSITIONS: Record<Transition, Edge> = {
  claim: { from: 'queued', to: 'running', charge: 'keep', event: 'job.started' },
  succeed: { from: 'running', to: 'succeeded', charge: 'keep', event: 'job.succeeded' },
  reject: { from: 'running', to: 'guardrail_failed', charge: 'keep', event: 'job.guardrail_failed' },
  fail: { from: 'running', to: 'failed', charge: 'keep', event: 'job.failed' },
  time_out: { from: 'running', to: 'timed_out', charge: 'keep', event: 'job.timed_out' },
  retry: { from: 'running', to: 'queued', charge: 'keep', event: 'job.requeued' },
  give_up: { from: 'running', to: 'errored', charge: 'refund', event: 'job.errored' },
  cancel_queued: { from: 'queued', to: 'cancelled', charge: 'refund', event: 'job.cancelled' },
  cancel_running: { from: 'running', to: 'cancelled', charge: 'keep', event: 'job.cancelled' },
};

export function edge(t: Transition, from: JobState): Edge {
  const e = TRANSITIONS[t];
  if (e.from !== from) throw new Error(`job transition ${t} needs state ${e.from}, not ${from}`);
  return e;
}

export const isTerminal = (s: JobState) => TERMINAL.has(s);

/**
 * What a runner's reported outcome does to a running job. A scored run whose guardrails did not
 * all pass is `guardrail_failed` (the runner reports `succeeded`: it ran and measured; the verdict
 * is the platform's). An `errored` report (or a lost lease) retries while attempts remain; a cancel
 * request turns any unfinished outcome into `cancelled`.
 */
export function outcomeTransition(
  outcome: 'succeeded' | 'failed' | 'errored' | 'timed_out',
  job: { attempt: number; maxAttempts: number; cancelRequested: boolean },
  guardrailsPassed = true,
): Transition {
  if (outcome === 'succeeded') return guardrailsPassed ? 'succeed' : 'reject';
  if (job.cancelRequested) return 'cancel_running';
  if (outcome === 'failed') return 'fail';
  if (outcome === 'timed_out') return 'time_out';
  return job.attempt < job.maxAttempts ? 'retry' : 'give_up';
}
