import { rankPools, summarize, type ChallengeSpec } from '@agora/core';
import type { ScoredResultRow } from '@agora/store/integrity';

/**
 * Pooled scores per submission and hardware class, ranked by the leaderboard's own rule
 * (core's rankPools): the lineage, frontier, progress and final standings rank as the
 * leaderboard does, by construction.
 */
export interface Pool {
  submissionId: number;
  hardwareClass: string;
  results: ScoredResultRow[];
  mean: number;
  ciLow: number | null;
  ciHigh: number | null;
  n: number;
  rank: number | null;
  tier: number | null;
  guardrailsPassed: boolean;
}

const keyOf = (r: { hardware_class: string; submission_id: number }) => `${r.hardware_class}\u0000${r.submission_id}`;

function group(results: readonly ScoredResultRow[]): Map<string, ScoredResultRow[]> {
  const groups = new Map<string, ScoredResultRow[]>();
  for (const r of results) groups.set(keyOf(r), [...(groups.get(keyOf(r)) ?? []), r]);
  return groups;
}

/** Ranks the pools of `results` per hardware class (every result given takes part in the ranking). */
export function rankedPools(results: readonly ScoredResultRow[], challenge: ChallengeSpec): Pool[] {
  const groups = group(results);
  const confidence = challenge.significance?.confidence ?? 0.95;
  const classes = [...new Set(results.map((r) => r.hardware_class))].sort();
  return classes.flatMap((cls) => {
    const pools = [...groups].filter(([k]) => k.startsWith(`${cls}\u0000`)).map(([key, g]) => ({
      key, samples: g.flatMap((x) => x.samples), guardrailsPassed: g.every((x) => x.guardrails_passed),
    }));
    return rankPools(pools, challenge.metric.direction, confidence).map((p) => {
      const g = groups.get(p.key)!;
      return {
        submissionId: g[0]!.submission_id, hardwareClass: cls, results: g, mean: p.mean, ciLow: p.ciLow, ciHigh: p.ciHigh, n: p.n,
        rank: p.rank, tier: p.tier, guardrailsPassed: p.guardrailsPassed,
      };
    });
  });
}

/** Pools that take no part in the ranking (invalid or withdrawn submissions): summarised, unranked. */
export function unrankedPools(results: readonly ScoredResultRow[], challenge: ChallengeSpec): Pool[] {
  const confidence = challenge.significance?.confidence ?? 0.95;
  return [...group(results).values()].flatMap((g) => {
    const samples = g.flatMap((x) => x.samples).filter(Number.isFinite);
    if (!samples.length) return [];
    const s = summarize(samples, confidence);
    return [{
      submissionId: g[0]!.submission_id, hardwareClass: g[0]!.hardware_class, results: g, mean: s.mean, ciLow: s.ciLow, ciHigh: s.ciHigh, n: s.n,
      rank: null, tier: null, guardrailsPassed: g.every((x) => x.guardrails_passed),
    }];
  });
}

export const privateSplits = (challenge: ChallengeSpec) =>
  Object.entries(challenge.splits ?? {}).filter(([, s]) => s.visibility === 'private').map(([name]) => name);
