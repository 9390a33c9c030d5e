import { summarize, welch, type Summary } from './stats.ts';

/**
 * Ranking pooled scores. Each entry is one submission on one hardware class: all metric samples
 * of all its succeeded jobs, pooled (never the best run). Entries that failed a guardrail are
 * shown but not ranked. Ranked entries fall into tiers of statistical ties: an entry joins the
 * current tier unless Welch's test says it differs from the tier's leader.
 */
export interface PoolInput {
  key: string;
  samples: number[];
  guardrailsPassed: boolean;
}

export interface RankedPool extends Summary {
  key: string;
  guardrailsPassed: boolean;
  rank: number | null;
  tier: number | null;
}

export function rankPools(pools: readonly PoolInput[], direction: 'maximize' | 'minimize', confidence = 0.95): RankedPool[] {
  const sign = direction === 'maximize' ? -1 : 1;
  const summed = pools
    .map((p) => ({ ...p, samples: p.samples.filter((x) => Number.isFinite(x)) }))
    .filter((p) => p.samples.length > 0)
    .map((p) => ({ ...summarize(p.samples, confidence), key: p.key, guardrailsPassed: p.guardrailsPassed, samples: p.samples }));
  summed.sort((a, b) => Number(b.guardrailsPassed) - Number(a.guardrailsPassed) || sign * (a.mean - b.mean) || a.key.localeCompare(b.key));
  let rank = 0;
  let tier = 0;
  let leader: number[] | null = null;
  return summed.map(({ samples, ...s }) => {
    if (!s.guardrailsPassed) return { ...s, rank: null, tier: null };
    rank++;
    const w = leader ? welch(leader, samples, confidence) : null;
    // Without two samples on each side there is no test: a new tier only for a different mean.
    const differs = !leader || (w ? w.significant : s.mean !== summed.find((x) => x.samples === leader)!.mean);
    if (differs) {
      tier++;
      leader = samples;
    }
    return { ...s, rank, tier };
  });
}
