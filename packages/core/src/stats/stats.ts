/**
 * Small, exact statistics for scores: a configuration's score pools all its samples (never the
 * best run), and comparisons carry a confidence interval. Pure functions, no dependencies.
 */

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1); null below two samples, where it is undefined. */
export function stdev(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  const m = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - m) ** 2;
  return Math.sqrt(ss / (xs.length - 1));
}

// ln Γ(x), Lanczos approximation (g = 7, n = 9): about 15 significant digits for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

// Continued fraction for the regularized incomplete beta (modified Lentz).
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularized incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** CDF of Student's t with df degrees of freedom (df may be fractional, as Welch's is). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError('degrees of freedom must be positive');
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

// Quantiles already found, by (p, df): a leaderboard asks for the same few (one confidence, a
// handful of sample counts) for every pool, and each bisection is ~50 incomplete-beta evaluations.
// Bounded so that fractional Welch degrees of freedom cannot grow it without end.
const quantileCache = new Map<string, number>();
const QUANTILE_CACHE_MAX = 4096;

/** The p-quantile of Student's t (bisection on the CDF, exact to ~1e-10; found once per (p, df), then cached). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError('p must be in (0, 1)');
  if (!(df > 0)) throw new RangeError('degrees of freedom must be positive');
  if (p === 0.5) return 0;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  const key = `${p}:${df}`;
  const hit = quantileCache.get(key);
  if (hit !== undefined) return hit;
  const q = bisectQuantile(p, df);
  if (quantileCache.size >= QUANTILE_CACHE_MAX) quantileCache.clear();
  quantileCache.set(key, q);
  return q;
}

/** How many quantiles were computed rather than served from the cache (for a test that it caches). */
export function studentTQuantileCacheSize(): number {
  return quantileCache.size;
}

function bisectQuantile(p: number, df: number): number {
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface Summary {
  n: number;
  mean: number;
  stdev: number | null;
  /** mean ± t·s/√n at the given confidence; null below two samples. */
  ciLow: number | null;
  ciHigh: number | null;
  confidence: number;
}

export function summarize(xs: readonly number[], confidence = 0.95): Summary {
  const finite = xs.filter((x) => Number.isFinite(x));
  const n = finite.length;
  const m = mean(finite);
  const s = stdev(finite);
  if (s === null) return { n, mean: m, stdev: null, ciLow: null, ciHigh: null, confidence };
  const half = (studentTQuantile(1 - (1 - confidence) / 2, n - 1) * s) / Math.sqrt(n);
  return { n, mean: m, stdev: s, ciLow: m - half, ciHigh: m + half, confidence };
}

export interface WelchResult {
  /** mean(a) - mean(b) */
  diff: number;
  t: number;
  df: number;
  /** Two-sided p-value of "the means are equal". */
  p: number;
  ciLow: number;
  ciHigh: number;
  /** p < 1 - confidence: the difference is not a tie. */
  significant: boolean;
}

/** Welch's unequal-variance t-test of two samples; null when either has fewer than two values. */
export function welch(a: readonly number[], b: readonly number[], confidence = 0.95): WelchResult | null {
  const sa = stdev(a);
  const sb = stdev(b);
  if (sa === null || sb === null) return null;
  const va = (sa * sa) / a.length;
  const vb = (sb * sb) / b.length;
  const diff = mean(a) - mean(b);
  const se = Math.sqrt(va + vb);
  if (se === 0) {
    const significant = diff !== 0;
    return { diff, t: significant ? Math.sign(diff) * Infinity : 0, df: a.length + b.length - 2, p: significant ? 0 : 1, ciLow: diff, ciHigh: diff, significant };
  }
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const t = diff / se;
  const p = Math.min(1, 2 * (1 - studentTCdf(Math.abs(t), df)));
  const half = studentTQuantile(1 - (1 - confidence) / 2, df) * se;
  return { diff, t, df, p, ciLow: diff - half, ciHigh: diff + half, significant: p < 1 - confidence };
}

/** The median of finite values; NaN when there are none. */
export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
