import { mean, stdev, studentTQuantile } from './stats.ts';

/**
 * The pooled estimate of one leaderboard entry: every sample of every job, never the best run
 * (docs/decisions/0105-significance.md).
 *
 * - Scale. A speed is positive and its noise multiplicative, so by default the analysis works on
 *   the log of each sample: the centre is the geometric mean and the interval exp(mean ± t·se),
 *   which is positive whatever the noise. `linear` is for metrics that can be zero or negative.
 * - Jobs. Samples of one job share a process, a machine state and a prompt draw, so they are not
 *   independent. From three jobs on, the standard error is the larger of the one from all samples
 *   (s²/n) and the one from the job means alone (s_job²/J), with the degrees of freedom of
 *   whichever it is: an interval is never narrower than job-to-job variation alone says. (From two
 *   job means, one degree of freedom, the job-level estimate is too erratic to use.)
 */
export type Scale = 'log' | 'linear';

export interface PooledEstimate {
  scale: Scale;
  /** Samples used (positive and finite on the log scale). */
  n: number;
  jobs: number;
  /** Back on the metric's scale: the geometric mean (log) or the mean (linear). */
  center: number;
  /** The interval at `confidence`, on the metric's scale; null below two samples. */
  low: number | null;
  high: number | null;
  confidence: number;
  /** On the analysis scale (log or linear): the mean, its standard error and degrees of freedom. */
  location: number;
  se: number | null;
  df: number | null;
  /** Spread of single samples and of job means, on the analysis scale (for the noise floor). */
  sampleSd: number | null;
  jobSd: number | null;
}

export function toAnalysis(x: number, scale: Scale): number {
  return scale === 'log' ? Math.log(x) : x;
}
export function fromAnalysis(x: number, scale: Scale): number {
  return scale === 'log' ? Math.exp(x) : x;
}
export function usable(x: number, scale: Scale): boolean {
  return Number.isFinite(x) && (scale === 'linear' || x > 0);
}

/** Two-sided critical value of Student's t at `confidence`. */
export function tCritical(confidence: number, df: number): number {
  return studentTQuantile(1 - (1 - confidence) / 2, df);
}

/** The standard error of the mean of clustered samples: the larger of the sample-level and the job-level one. */
export function clusteredSe(sampleSd: number | null, n: number, jobSd: number | null, jobs: number): { se: number; df: number } | null {
  const bySample = sampleSd === null ? null : { se: sampleSd / Math.sqrt(n), df: n - 1 };
  const byJob = jobSd === null || jobs < 3 ? null : { se: jobSd / Math.sqrt(jobs), df: jobs - 1 };
  if (!bySample) return byJob;
  if (!byJob) return bySample;
  return byJob.se > bySample.se ? byJob : bySample;
}

/** One entry's pooled estimate from its samples grouped by job; null when no sample is usable. */
export function poolEstimate(jobs: readonly (readonly number[])[], scale: Scale = 'log', confidence = 0.95): PooledEstimate | null {
  const perJob = jobs.map((js) => js.filter((x) => usable(x, scale)).map((x) => toAnalysis(x, scale))).filter((js) => js.length > 0);
  const all = perJob.flat();
  const n = all.length;
  if (n === 0) return null;
  const location = mean(all);
  const sampleSd = stdev(all);
  const jobSd = stdev(perJob.map((js) => mean(js)));
  const se = clusteredSe(sampleSd, n, jobSd, perJob.length);
  const half = se === null ? null : se.se === 0 ? 0 : tCritical(confidence, se.df) * se.se;
  return {
    scale, n, jobs: perJob.length, center: fromAnalysis(location, scale),
    low: half === null ? null : fromAnalysis(location - half, scale),
    high: half === null ? null : fromAnalysis(location + half, scale),
    confidence, location, se: se?.se ?? null, df: se?.df ?? null, sampleSd, jobSd,
  };
}

/**
 * Per repeat, the submission's sample over the interleaved baseline's sample of the same repeat
 * (same requests, same order, same runner): a paired ratio in which the runner's drift cancels.
 * Repeats without a usable pair are left out.
 */
export function baselineRatios(samples: readonly number[], baseline: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(samples.length, baseline.length); i++) {
    const a = samples[i]!;
    const b = baseline[i]!;
    if (usable(a, 'log') && usable(b, 'log')) out.push(a / b);
  }
  return out;
}
