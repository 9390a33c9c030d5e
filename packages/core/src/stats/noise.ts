import { welchDf } from './compare.ts';
import { clusteredSe, tCritical, type PooledEstimate, type Scale } from './pooled.ts';
import { median } from './stats.ts';

/**
 * The noise floor of one hardware class and what it lets the leaderboard tell apart
 * (docs/decisions/0105-significance.md).
 *
 * The floor is the median, over entries with at least two jobs, of the spread of single samples
 * and of job means (on the analysis scale: for a speed, log units, about the coefficient of
 * variation). From it, for two entries that each have just the challenge's minimum of jobs and
 * samples:
 *   - minimumDetectable: the smallest true difference `compare` can call at all, t·se of the
 *     difference (as a ratio minus 1 on the log scale); at twice it, compare has more than 90% power;
 *   - tierSeparation: the smallest that puts two such entries in different tiers (their intervals
 *     must not overlap: t·(se_a + se_b)).
 */
export interface NoiseFloorEstimate {
  entries: number;
  scale: Scale;
  sampleSd: number | null;
  jobSd: number | null;
  /** On the log scale: exp(sampleSd) - 1, about the coefficient of variation of one sample. */
  relativeSampleSd: number | null;
  minimumDetectable: number | null;
  tierSeparation: number | null;
}

export interface Detectable {
  /** On the analysis scale: the difference of locations. */
  compare: number;
  tiers: number;
}

/** The smallest detectable difference between two entries of n samples over `jobs` jobs each, at this noise. */
export function detectableDifference(sampleSd: number | null, jobSd: number | null, n: number, jobs: number, confidence: number): Detectable | null {
  const se = clusteredSe(sampleSd, n, jobSd, jobs);
  if (!se || se.df < 1) return null;
  const dfDiff = welchDf(se.se, se.df, se.se, se.df);
  return { compare: tCritical(confidence, dfDiff) * Math.SQRT2 * se.se, tiers: 2 * tCritical(confidence, se.df) * se.se };
}

export function noiseFloor(estimates: readonly PooledEstimate[], opts: { scale: Scale; minJobs: number; minSamples: number; confidence: number }): NoiseFloorEstimate {
  const spread = estimates.filter((e) => e.scale === opts.scale && e.sampleSd !== null);
  const sampleSd = spread.length ? median(spread.map((e) => e.sampleSd!)) : null;
  const jobSds = spread.filter((e) => e.jobSd !== null).map((e) => e.jobSd!);
  const jobSd = jobSds.length ? median(jobSds) : null;
  const jobs = Math.max(1, opts.minJobs);
  // at the minimum, an entry has its minimum of samples, and at least two per job (a job of one sample has no spread)
  const n = Math.max(2, opts.minSamples, jobs);
  const d = detectableDifference(sampleSd, jobSd, n, jobs, opts.confidence);
  const asRelative = (x: number) => (opts.scale === 'log' ? Math.exp(x) - 1 : x);
  return {
    entries: spread.length, scale: opts.scale, sampleSd, jobSd,
    relativeSampleSd: sampleSd === null || opts.scale !== 'log' ? null : Math.exp(sampleSd) - 1,
    minimumDetectable: d ? asRelative(d.compare) : null,
    tierSeparation: d ? asRelative(d.tiers) : null,
  };
}
