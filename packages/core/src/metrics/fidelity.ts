/**
 * Decode fidelity: the one definition every Agora decode challenge uses (tiny-lm's TypeScript harness
 * and the GPU challenge's harness). Pure functions, no I/O.
 *
 * The trusted reference model is run teacher-forced on the submission's own sequence (prompt followed
 * by the tokens the submission emitted). For emitted token t_i it gives logits z_i over the vocabulary,
 * computed from the prefix the submission itself produced (so one early flip does not condemn the
 * tokens after it). Then
 *
 *   refTop1_i = argmax_v z_i[v]                 (ties: the lowest token id)
 *   margin_i  = z_i[refTop1_i] - z_i[t_i] >= 0  (logits or log-probabilities: the same number)
 *   faithful_i  <=>  t_i == refTop1_i  or  margin_i <= tolerance
 *   fidelity  = (number of faithful tokens) / (number of emitted tokens), pooled over all the timed
 *               requests of a job (a token-weighted share, not a mean of per-request shares).
 *
 * The tolerance absorbs honest numerical noise (another summation order, another precision): a greedy
 * decoder that picks a token within `tolerance` of the reference's best was right up to arithmetic.
 * A job with no emitted tokens has fidelity 0 (nothing was shown).
 */

export interface FidelityToken {
  /** The token the submission emitted. */
  emitted: number;
  /** The reference model's top-1 token at that position (teacher-forced on the submission's prefix). */
  refTop1: number;
  /** Reference logit of refTop1 minus reference logit of the emitted token (>= 0). */
  margin: number;
}

export interface FidelityInput {
  tokens: readonly FidelityToken[];
  tolerance: number;
}

export interface FidelityScore {
  /** faithful / total; 0 when total is 0. */
  fidelity: number;
  faithful: number;
  total: number;
  /** Tokens equal to the reference's top-1. */
  top1: number;
  /** Tokens not equal to top-1 but within the tolerance (near-ties). */
  withinTolerance: number;
  /** Index (in `tokens`) of the first unfaithful token, or null. */
  firstUnfaithful: number | null;
  /** Largest margin seen (0 when none). */
  maxMargin: number;
}

export function isFaithful(t: FidelityToken, tolerance: number): boolean {
  return t.emitted === t.refTop1 || t.margin <= tolerance;
}

export function scoreFidelity(input: FidelityInput): FidelityScore {
  const { tokens, tolerance } = input;
  if (!(tolerance >= 0) || !Number.isFinite(tolerance)) throw new RangeError(`tolerance must be a finite number >= 0, got ${tolerance}`);
  let faithful = 0;
  let top1 = 0;
  let withinTolerance = 0;
  let firstUnfaithful: number | null = null;
  let maxMargin = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as FidelityToken;
    if (!(t.margin >= 0)) throw new RangeError(`token ${i}: margin must be >= 0 (top-1 logit minus emitted logit), got ${t.margin}`);
    if (t.margin > maxMargin) maxMargin = t.margin;
    if (t.emitted === t.refTop1) {
      top1++;
      faithful++;
    } else if (t.margin <= tolerance) {
      withinTolerance++;
      faithful++;
    } else if (firstUnfaithful === null) firstUnfaithful = i;
  }
  return { fidelity: tokens.length === 0 ? 0 : faithful / tokens.length, faithful, total: tokens.length, top1, withinTolerance, firstUnfaithful, maxMargin };
}

/** Pools several scores (e.g. one per request) into one, token-weighted. */
export function poolFidelity(scores: readonly FidelityScore[]): FidelityScore {
  let faithful = 0;
  let total = 0;
  let top1 = 0;
  let withinTolerance = 0;
  let maxMargin = 0;
  let firstUnfaithful: number | null = null;
  for (const s of scores) {
    if (firstUnfaithful === null && s.firstUnfaithful !== null) firstUnfaithful = total + s.firstUnfaithful;
    faithful += s.faithful;
    total += s.total;
    top1 += s.top1;
    withinTolerance += s.withinTolerance;
    if (s.maxMargin > maxMargin) maxMargin = s.maxMargin;
  }
  return { fidelity: total === 0 ? 0 : faithful / total, faithful, total, top1, withinTolerance, firstUnfaithful, maxMargin };
}

/**
 * The reference's verdict on one emitted token from its logits row at that position:
 * refTop1 = argmax (lowest id on ties), margin = z[refTop1] - z[emitted].
 */
export function fidelityToken(logits: ArrayLike<number>, emitted: number): FidelityToken {
  if (!Number.isInteger(emitted) || emitted < 0 || emitted >= logits.length) throw new RangeError(`emitted token ${emitted} is outside the vocabulary (0..${logits.length - 1})`);
  let best = 0;
  let bestV = logits[0] as number;
  for (let v = 1; v < logits.length; v++) {
    const z = logits[v] as number;
    if (z > bestV) {
      bestV = z;
      best = v;
    }
  }
  return { emitted, refTop1: best, margin: bestV - (logits[emitted] as number) };
}

export interface ExactMatch {
  /** True when emitted equals reference, token for token and in length. */
  exact: boolean;
  /** First index where they differ (a length difference counts at the shorter length), or null. */
  firstDivergence: number | null;
  /** Length of the common prefix. */
  matchedPrefix: number;
  /** matchedPrefix / reference length (1 when the reference is empty and emitted is too). */
  rate: number;
}

/** Exact match of a greedy decode against a stored reference decode (reported beside fidelity, not a guardrail). */
export function exactMatch(emitted: readonly number[], reference: readonly number[]): ExactMatch {
  const n = Math.min(emitted.length, reference.length);
  let i = 0;
  while (i < n && emitted[i] === reference[i]) i++;
  const exact = i === emitted.length && i === reference.length;
  return {
    exact,
    firstDivergence: exact ? null : i,
    matchedPrefix: i,
    rate: reference.length === 0 ? (emitted.length === 0 ? 1 : 0) : i / reference.length,
  };
}

/** Share of sequences that match exactly, and the mean prefix rate, over many requests. */
export function exactMatchRate(pairs: readonly { emitted: readonly number[]; reference: readonly number[] }[]): { exactRate: number; meanPrefixRate: number; results: ExactMatch[] } {
  const results = pairs.map((p) => exactMatch(p.emitted, p.reference));
  const n = results.length;
  return {
    exactRate: n === 0 ? 0 : results.filter((r) => r.exact).length / n,
    meanPrefixRate: n === 0 ? 0 : results.reduce((a, r) => a + r.rate, 0) / n,
    results,
  };
}
