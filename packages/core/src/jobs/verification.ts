import type { JobState } from '../schemas/jobs.ts';
import { comparePooled } from '../stats/compare.ts';
import { poolEstimate } from '../stats/pooled.ts';
import { SCORED } from './lifecycle.ts';

/**
 * The verdict of a private verification run against the public claim it checks (issue 11): pure,
 * so the verification scheduler, an organizer's manual check and the tests share it.
 *
 * Verified when the private run scored, passed every guardrail, and its metric is tied with or
 * better than the public pool's, by the leaderboard's own rule (core/src/stats: the pools on the log
 * scale, clustered by job, compared as `compare` does; decisions 0088, 0105, 0140), at the
 * challenge's confidence; "worse" only when the difference is significant.
 */
export type VerificationVerdict =
  | { verdict: 'verified'; ratio: number | null }
  | { verdict: 'diverged'; diverged: Array<'guardrails' | 'metric'>; failedGuardrails: string[]; ratio: number | null; detail: string }
  | { verdict: 'failed'; detail: string }
  | { verdict: 'inconclusive'; detail: string };

export interface VerificationInput {
  direction: 'maximize' | 'minimize';
  confidence: number;
  /** The public claim's samples; `publicJobs` (the same grouped by job, as the leaderboard pools them) wins when given. */
  publicSamples: readonly number[];
  publicJobs?: ReadonlyArray<readonly number[]>;
  privateState: JobState;
  privateSamples: readonly number[];
  privateGuardrails: ReadonlyArray<{ name: string; passed: boolean }>;
}

const geoMean = (xs: readonly number[]) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

export function verificationVerdict(v: VerificationInput): VerificationVerdict {
  if (!SCORED.has(v.privateState)) return { verdict: 'failed', detail: `the private run ended ${v.privateState}: it gave no result` };
  const failedGuardrails = v.privateGuardrails.filter((g) => !g.passed).map((g) => g.name);
  const positive = (xs: readonly number[]) => xs.length > 0 && xs.every((x) => Number.isFinite(x) && x > 0);
  const ratio = positive(v.publicSamples) && positive(v.privateSamples) ? geoMean(v.privateSamples) / geoMean(v.publicSamples) : null;
  let metricWorse = false;
  let undecided: string | null = null;
  if (ratio === null) undecided = 'the metric needs positive samples on both splits to be compared by ratio';
  else {
    const pub = poolEstimate(v.publicJobs ?? [v.publicSamples], 'log', v.confidence);
    const priv = poolEstimate([v.privateSamples], 'log', v.confidence);
    const c = pub && priv ? comparePooled(priv, pub, v.direction, v.confidence) : null;
    if (!c || c.verdict === 'insufficient') undecided = 'the metric needs at least two samples on each split to be compared';
    else metricWorse = c.verdict === 'worse';
  }
  const diverged: Array<'guardrails' | 'metric'> = [...(failedGuardrails.length ? ['guardrails' as const] : []), ...(metricWorse ? ['metric' as const] : [])];
  if (diverged.length) {
    const parts = [
      ...(failedGuardrails.length ? [`failed the guardrail(s) ${failedGuardrails.join(', ')} on the private split`] : []),
      ...(metricWorse && ratio !== null ? [`the private metric is ${ratio.toPrecision(3)}× the public claim, worse beyond noise at ${v.confidence * 100}%`] : []),
    ];
    return { verdict: 'diverged', diverged, failedGuardrails, ratio, detail: parts.join('; ') };
  }
  if (undecided) return { verdict: 'inconclusive', detail: undecided };
  return { verdict: 'verified', ratio };
}
