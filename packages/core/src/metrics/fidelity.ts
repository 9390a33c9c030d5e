/**
 * Decode fidelity: the one definition every Agora decode challenge uses. This is the TypeScript
 * side (tiny-lm's harness imports it); the GPU challenge's Python harness mirrors it in
 * challenges/llm-decode/harness/fidelity.py, and both pass the shared vectors in
 * challenges/llm-decode/tests/fidelity-vectors.json. Pure functions, no I/O.
 *
 * The trusted reference model is run teacher-forced on the submission's own sequence (prompt followed
 * by the tokens the submission emitted). For emitted token t_i it gives logits z_i over the vocabulary,
 * computed from the prefix the submission itself produced (so one early flip does not condemn the
 * tokens after it). Then
 *
 *   refTop1_i   = argmax_v z_i[v]                     (ties: the lowest token id)
 *   margin_i    = max(0, z_i[refTop1_i] - z_i[t_i])   (logits or log-probabilities: the same number;
 *                                                      NaN counts as +Infinity; 0 when t_i == refTop1_i)
 *   faithful_i  <=> margin_i <= tolerance
 *   fidelity    = faithful tokens / emitted tokens, pooled over all the timed requests of a job
 *                 (token-weighted, not a mean of per-request shares); 1 when nothing was emitted.
 *
 * Beside it, against the stored reference greedy decode of each prompt (not a guardrail):
 *   exact-match rate      = position-wise equal tokens / compared positions (min of the two lengths),
 *                           pooled over prompts that have a reference;
 *   identical-prompt rate = share of those prompts whose decode equals the reference entirely;
 *   first divergence      = first differing position (a length difference counts at the shorter length).
 *
 * The tolerance absorbs honest numerical noise (another summation order, another precision); each
 * challenge calibrates it (tiny-lm: docs/decisions/0031-tiny-lm-reference-challenge.md).
 */

export interface FidelityToken {
  /** The token the submission emitted. */
  emitted: number;
  /** The reference model's top-1 token at that position (teacher-forced on the submission's prefix). */
  refTop1: number;
  /** Reference logit of refTop1 minus reference logit of the emitted token (see tokenMargin). */
  margin: number;
}

/** max(0, top-1 logit - emitted logit); NaN is +Infinity (never faithful). */
export function tokenMargin(refLogitTop1: number, refLogitEmitted: number): number {
  const m = refLogitTop1 - refLogitEmitted;
  if (Number.isNaN(m)) return Infinity;
  return m > 0 ? m : 0;
}

function effectiveMargin(t: FidelityToken): number {
  if (t.emitted === t.refTop1) return 0;
  if (Number.isNaN(t.margin)) return Infinity;
  return t.margin > 0 ? t.margin : 0;
}

export function isFaithful(t: FidelityToken, tolerance: number): boolean {
  return effectiveMargin(t) <= tolerance;
}

function checkTolerance(tolerance: number): void {
  if (!(tolerance >= 0) || !Number.isFinite(tolerance)) throw new RangeError(`tolerance must be a finite number >= 0, got ${tolerance}`);
}

export interface FidelityScore {
  /** faithful / total; 1 when total is 0. */
  fidelity: number;
  faithful: number;
  total: number;
  /** Tokens equal to the reference's top-1. */
  top1: number;
  /** Tokens not equal to top-1 but within the tolerance (near-ties). */
  withinTolerance: number;
  /** Index (in the tokens scored) of the first unfaithful token, or null. */
  firstUnfaithful: number | null;
  /** Largest (effective) margin seen, 0 when none. */
  maxMargin: number;
}

/** Fidelity of one request's emitted tokens (or of any list of tokens). */
export function scoreFidelity(input: { tokens: readonly FidelityToken[]; tolerance: number }): FidelityScore {
  const { tokens, tolerance } = input;
  checkTolerance(tolerance);
  let faithful = 0;
  let top1 = 0;
  let withinTolerance = 0;
  let firstUnfaithful: number | null = null;
  let maxMargin = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as FidelityToken;
    const m = effectiveMargin(t);
    if (m > maxMargin) maxMargin = m;
    if (t.emitted === t.refTop1) top1++;
    if (m <= tolerance) {
      faithful++;
      if (t.emitted !== t.refTop1) withinTolerance++;
    } else if (firstUnfaithful === null) firstUnfaithful = i;
  }
  return { fidelity: tokens.length === 0 ? 1 : faithful / tokens.length, faithful, total: tokens.length, top1, withinTolerance, firstUnfaithful, maxMargin };
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
  return { fidelity: total === 0 ? 1 : faithful / total, faithful, total, top1, withinTolerance, firstUnfaithful, maxMargin };
}

/**
 * The reference's verdict on one emitted token from its logits row at that position:
 * refTop1 = argmax (lowest id on ties), margin = tokenMargin(z[refTop1], z[emitted]).
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
  return { emitted, refTop1: best, margin: tokenMargin(bestV, logits[emitted] as number) };
}

export interface ExactMatch {
  /** Positions compared: the shorter of the two lengths. */
  compared: number;
  /** Positions (of those compared) where emitted equals reference. */
  matched: number;
  /** First differing position; a length difference counts at the shorter length; null when identical. */
  firstDivergence: number | null;
  /** Emitted equals reference, token for token and in length. */
  identical: boolean;
}

/** Position-wise comparison of a greedy decode with the stored reference decode of the same prompt. */
export function exactMatch(emitted: readonly number[], reference: readonly number[]): ExactMatch {
  const n = Math.min(emitted.length, reference.length);
  let matched = 0;
  let first: number | null = null;
  for (let i = 0; i < n; i++) {
    if (emitted[i] === reference[i]) matched++;
    else if (first === null) first = i;
  }
  if (first === null && emitted.length !== reference.length) first = n;
  return { compared: n, matched, firstDivergence: first, identical: first === null };
}

export interface DecodePrompt {
  /** Per emitted token: the reference's verdict. */
  tokens: readonly FidelityToken[];
  /** The emitted ids (defaults to tokens[].emitted). */
  emitted?: readonly number[];
  /** The stored reference greedy decode of the prompt, or null/undefined when there is none. */
  reference?: readonly number[] | null;
}

export interface DecodeScore {
  tokens: number;
  faithful: number;
  fidelity: number;
  top1Rate: number;
  /** null when no prompt had a reference. */
  exactMatchRate: number | null;
  identicalPromptRate: number | null;
  perPrompt: (FidelityScore & { exact: ExactMatch | null })[];
}

/** The whole job: fidelity pooled over every emitted token, exact match beside it. */
export function scoreDecode(prompts: readonly DecodePrompt[], tolerance: number): DecodeScore {
  checkTolerance(tolerance);
  let compared = 0;
  let matched = 0;
  let identical = 0;
  let withRef = 0;
  const perPrompt = prompts.map((p) => {
    const s = scoreFidelity({ tokens: p.tokens, tolerance });
    let exact: ExactMatch | null = null;
    if (p.reference !== null && p.reference !== undefined) {
      exact = exactMatch(p.emitted ?? p.tokens.map((t) => t.emitted), p.reference);
      withRef++;
      compared += exact.compared;
      matched += exact.matched;
      if (exact.identical) identical++;
    }
    return { ...s, exact };
  });
  const pooled = poolFidelity(perPrompt);
  return {
    tokens: pooled.total,
    faithful: pooled.faithful,
    fidelity: pooled.fidelity,
    top1Rate: pooled.total === 0 ? 1 : pooled.top1 / pooled.total,
    exactMatchRate: compared === 0 ? null : matched / compared,
    identicalPromptRate: withRef === 0 ? null : identical / withRef,
    perPrompt,
  };
}
