import { fromAnalysis, tCritical, type PooledEstimate, type Scale } from './pooled.ts';
import { studentTCdf } from './stats.ts';

/**
 * `compare A B`: is A better than, worse than, or tied with B? Welch's test on the analysis scale
 * (the log of the samples for a speed), so the answer comes with the interval of the ratio A/B
 * (or of the difference A - B on the linear scale). "Better" follows the metric's direction.
 */
export type Verdict = 'better' | 'worse' | 'tie' | 'insufficient';

export interface PooledComparison {
  verdict: Verdict;
  scale: Scale;
  /** A/B on the log scale, A - B on the linear one; with its interval at `confidence`. */
  estimate: number;
  low: number | null;
  high: number | null;
  /** Two-sided p-value of "no difference"; null when either side has fewer than two samples. */
  p: number | null;
  df: number | null;
  confidence: number;
}

/** The Welch-Satterthwaite degrees of freedom of two standard errors with their own degrees of freedom. */
export function welchDf(seA: number, dfA: number, seB: number, dfB: number): number {
  const va = seA * seA;
  const vb = seB * seB;
  if (va + vb === 0) return dfA + dfB;
  return (va + vb) ** 2 / ((va * va) / dfA + (vb * vb) / dfB);
}

export function comparePooled(a: PooledEstimate, b: PooledEstimate, direction: 'maximize' | 'minimize', confidence = 0.95): PooledComparison {
  if (a.scale !== b.scale) throw new RangeError('cannot compare estimates on different scales');
  const scale = a.scale;
  const diff = a.location - b.location;
  const estimate = scale === 'log' ? fromAnalysis(diff, scale) : diff;
  const back = (x: number) => (scale === 'log' ? Math.exp(x) : x);
  if (a.se === null || b.se === null || a.df === null || b.df === null)
    return { verdict: 'insufficient', scale, estimate, low: null, high: null, p: null, df: null, confidence };
  const se = Math.sqrt(a.se ** 2 + b.se ** 2);
  const df = welchDf(a.se, a.df, b.se, b.df);
  let p: number;
  let half: number;
  if (se === 0) {
    p = diff === 0 ? 1 : 0;
    half = 0;
  } else {
    p = Math.min(1, 2 * (1 - studentTCdf(Math.abs(diff / se), df)));
    half = tCritical(confidence, df) * se;
  }
  const low = diff - half;
  const high = diff + half;
  const aHigher = low > 0;
  const aLower = high < 0;
  const verdict: Verdict = aHigher ? (direction === 'maximize' ? 'better' : 'worse') : aLower ? (direction === 'maximize' ? 'worse' : 'better') : 'tie';
  return { verdict, scale, estimate, low: back(low), high: back(high), p, df, confidence };
}
