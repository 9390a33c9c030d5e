import type { PooledEstimate } from './pooled.ts';

/**
 * Ranking pooled entries of one hardware class (docs/decisions/0105-significance.md).
 *
 * rank = 1 + the number of ranked entries whose interval lies wholly above this one's (wholly
 * below for a metric to minimise), as Chatbot Arena ranks. One noisy entry has a wide interval:
 * it lies wholly above nobody, so it cannot push anyone down or pull anyone together. Tiers number
 * the distinct ranks densely (1, 1, 3 gives tiers 1, 1, 2). An entry is ranked only once it has
 * passed every guardrail, has at least `minJobs` jobs and `minSamples` samples and no private
 * verification diverged or failed (docs/decisions/0140); the others are
 * shown with the reason and take no part in anyone's rank.
 */
export interface RankInput {
  key: string;
  estimate: PooledEstimate | null;
  guardrailsPassed: boolean;
  /** A private verification's verdict in force that takes the entry out of the ranking (docs/decisions/0088, 0140). */
  verdict?: 'diverged' | 'failed' | null;
}

export type Unranked = 'verification_diverged' | 'verification_failed' | 'guardrail_failed' | 'too_few_jobs' | 'too_few_samples';

export interface Ranked {
  key: string;
  rank: number | null;
  tier: number | null;
  unranked: Unranked | null;
}

export interface RankRules {
  direction: 'maximize' | 'minimize';
  minJobs: number;
  minSamples: number;
}

export function eligibility(e: RankInput, rules: RankRules): Unranked | null {
  if (e.verdict === 'diverged') return 'verification_diverged';
  if (e.verdict === 'failed') return 'verification_failed';
  if (!e.guardrailsPassed) return 'guardrail_failed';
  const est = e.estimate;
  if (!est || est.jobs < rules.minJobs) return 'too_few_jobs';
  if (est.n < Math.max(2, rules.minSamples) || est.low === null) return 'too_few_samples';
  return null;
}

/** True when a's interval lies wholly on the better side of b's. */
export function whollyBetter(a: PooledEstimate, b: PooledEstimate, direction: 'maximize' | 'minimize'): boolean {
  return direction === 'maximize' ? a.low! > b.high! : a.high! < b.low!;
}

/** Ranks and tiers, in the order given back: ranked entries by rank then centre, then the unranked. */
export function rankEntries(entries: readonly RankInput[], rules: RankRules): Ranked[] {
  const sign = rules.direction === 'maximize' ? -1 : 1;
  const withWhy = entries.map((e) => ({ e, why: eligibility(e, rules) }));
  const ranked = withWhy.filter((x) => x.why === null).map((x) => x.e);
  const rankOf = new Map<string, number>();
  for (const e of ranked) rankOf.set(e.key, 1 + ranked.filter((o) => o !== e && whollyBetter(o.estimate!, e.estimate!, rules.direction)).length);
  const distinct = [...new Set(rankOf.values())].sort((a, b) => a - b);
  const order = (a: RankInput, b: RankInput) =>
    (rankOf.get(a.key) ?? Infinity) - (rankOf.get(b.key) ?? Infinity) ||
    sign * ((a.estimate?.center ?? 0) - (b.estimate?.center ?? 0)) ||
    a.key.localeCompare(b.key);
  const sorted = [...ranked].sort(order);
  const rest = withWhy.filter((x) => x.why !== null).sort((a, b) => order(a.e, b.e));
  return [
    ...sorted.map((e) => {
      const rank = rankOf.get(e.key)!;
      return { key: e.key, rank, tier: distinct.indexOf(rank) + 1, unranked: null };
    }),
    ...rest.map(({ e, why }) => ({ key: e.key, rank: null, tier: null, unranked: why })),
  ];
}
