import { poolEstimate, rankEntries, rulesOf, summarize, type ChallengeSpec } from '@agora/core';
import type { ScoredResultRow } from '@agora/store/integrity';

/**
 * Pooled scores per submission and hardware class, ranked by the leaderboard's own rule
 * (core's poolEstimate and rankEntries, docs/decisions/0105): the lineage, frontier, progress and
 * final standings rank as the leaderboard does, by construction.
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

const outOf = (v: string | undefined): 'diverged' | 'failed' | null => (v === 'diverged' || v === 'failed' ? v : null);
const keyOf = (r: { hardware_class: string; submission_id: number }) => `${r.hardware_class}\u0000${r.submission_id}`;

function group(results: readonly ScoredResultRow[]): Map<string, ScoredResultRow[]> {
  const groups = new Map<string, ScoredResultRow[]>();
  for (const r of results) {
    // push, not a copy per result: copying made grouping quadratic in a pool's results.
    const g = groups.get(keyOf(r));
    if (g) g.push(r);
    else groups.set(keyOf(r), [r]);
  }
  return groups;
}

/**
 * Ranks the pools of `results` per hardware class (every result given takes part in the ranking);
 * `verdicts` (the verdicts in force) takes diverged and failed entries out, as on the leaderboard.
 */
export function rankedPools(results: readonly ScoredResultRow[], challenge: ChallengeSpec, verdicts: ReadonlyMap<number, string> = new Map()): Pool[] {
  const groups = group(results);
  const rules = rulesOf(challenge);
  const classes = [...new Set(results.map((r) => r.hardware_class))].sort();
  return classes.flatMap((cls) => {
    const pools = [...groups].filter(([k]) => k.startsWith(`${cls}\u0000`)).map(([key, g]) => ({
      key, estimate: poolEstimate(g.map((x) => x.samples), rules.scale, rules.confidence), guardrailsPassed: g.every((x) => x.guardrails_passed),
      verdict: outOf(verdicts.get(g[0]!.submission_id)),
    }));
    const byKey = new Map(pools.map((p) => [p.key, p]));
    return rankEntries(pools.filter((p) => p.estimate), rules).map((r) => {
      const g = groups.get(r.key)!;
      const est = byKey.get(r.key)!.estimate!;
      const samples = g.flatMap((x) => x.samples).filter(Number.isFinite);
      return {
        submissionId: g[0]!.submission_id, hardwareClass: cls, results: g, mean: samples.reduce((a, x) => a + x, 0) / samples.length,
        ciLow: est.low, ciHigh: est.high, n: est.n, rank: r.rank, tier: r.tier, guardrailsPassed: byKey.get(r.key)!.guardrailsPassed,
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
