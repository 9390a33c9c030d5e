import { comparePooled, type PooledComparison } from './compare.ts';
import { noiseFloor, type NoiseFloorEstimate } from './noise.ts';
import { baselineRatios, poolEstimate, type PooledEstimate, type Scale } from './pooled.ts';
import { rankEntries, type Unranked } from './ranking.ts';

/**
 * The leaderboard of one split, from its results (docs/decisions/0105-significance.md).
 *
 * An entry is one fingerprint on one hardware class: the original submission and every exact
 * duplicate of it pool their jobs into one estimate, shown under the original (the earliest
 * submission; decision 0050). Re-running or re-submitting for a lucky sample adds samples to the
 * same pool, so it gains nothing. Entries are ranked only against entries of their own class.
 */
export interface BoardResult {
  jobId: number;
  submissionId: number;
  fingerprint: string;
  hardwareClass: string;
  samples: number[];
  /** Per repeat, the interleaved baseline's samples of the same job (null when the job ran none). */
  baselineSamples: number[] | null;
  guardrailsPassed: boolean;
  /** The verdict in force of the submission's private verification, if any (docs/decisions/0140). */
  verdict?: BoardVerdict | null;
}

export type BoardVerdict = 'verified' | 'diverged' | 'failed' | 'inconclusive';

/** An entry's verdict: diverged or failed when any of its submissions' is (a duplicate shares its original's fate), else verified when one is. */
export function entryVerdict(verdicts: ReadonlyArray<BoardVerdict | null | undefined>): BoardVerdict | null {
  for (const v of ['diverged', 'failed', 'verified', 'inconclusive'] as const) if (verdicts.includes(v)) return v;
  return null;
}

export interface SignificanceRules {
  direction: 'maximize' | 'minimize';
  scale: Scale;
  confidence: number;
  minJobs: number;
  minSamples: number;
}

export interface BoardEntry {
  key: string;
  fingerprint: string;
  hardwareClass: string;
  /** The original first, then its duplicates, by id. */
  submissionIds: number[];
  results: BoardResult[];
  estimate: PooledEstimate | null;
  /** Paired per repeat with the interleaved baseline, on the log scale; null without baseline runs. */
  baselineRatio: PooledEstimate | null;
  guardrailsPassed: boolean;
  verdict: BoardVerdict | null;
  rank: number | null;
  tier: number | null;
  unranked: Unranked | null;
}

export interface BoardClass {
  hardwareClass: string;
  entries: BoardEntry[];
  noiseFloor: NoiseFloorEstimate;
}

export function rulesOf(spec: { metric: { direction: 'maximize' | 'minimize' }; significance: { confidence: number; scale: Scale; min_jobs: number; min_samples: number } }): SignificanceRules {
  const s = spec.significance;
  return { direction: spec.metric.direction, scale: s.scale, confidence: s.confidence, minJobs: s.min_jobs, minSamples: s.min_samples };
}

/** The results pooled per fingerprint and hardware class, unranked. */
export function poolResults(results: readonly BoardResult[], rules: SignificanceRules): Omit<BoardEntry, 'rank' | 'tier' | 'unranked'>[] {
  const groups = new Map<string, BoardResult[]>();
  for (const r of results) {
    const key = `${r.hardwareClass}\u0000${r.fingerprint}`;
    // push, not a copy per result: copying made pooling quadratic in a pool's results.
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.entries()].map(([key, rs]) => {
    const ratios = rs.map((r) => (r.baselineSamples ? baselineRatios(r.samples, r.baselineSamples) : [])).filter((x) => x.length > 0);
    return {
      key, fingerprint: rs[0]!.fingerprint, hardwareClass: rs[0]!.hardwareClass,
      submissionIds: [...new Set(rs.map((r) => r.submissionId))].sort((a, b) => a - b),
      results: rs,
      estimate: poolEstimate(rs.map((r) => r.samples), rules.scale, rules.confidence),
      baselineRatio: ratios.length ? poolEstimate(ratios, 'log', rules.confidence) : null,
      guardrailsPassed: rs.every((r) => r.guardrailsPassed),
      verdict: entryVerdict(rs.map((r) => r.verdict)),
    };
  });
}

/** Every hardware class of the results, each ranked on its own, with its noise floor. */
export function buildBoard(results: readonly BoardResult[], rules: SignificanceRules): BoardClass[] {
  const pools = poolResults(results, rules);
  const classes = [...new Set(pools.map((p) => p.hardwareClass))].sort();
  return classes.map((hardwareClass) => {
    const mine = pools.filter((p) => p.hardwareClass === hardwareClass);
    const byKey = new Map(mine.map((p) => [p.key, p]));
    const out = (v: BoardVerdict | null) => (v === 'diverged' || v === 'failed' ? v : null);
    const ranked = rankEntries(mine.map((p) => ({ key: p.key, estimate: p.estimate, guardrailsPassed: p.guardrailsPassed, verdict: out(p.verdict) })), rules);
    const entries = ranked.map((r) => ({ ...byKey.get(r.key)!, rank: r.rank, tier: r.tier, unranked: r.unranked }));
    const floor = noiseFloor(mine.filter((p) => p.guardrailsPassed && !out(p.verdict) && p.estimate).map((p) => p.estimate!), rules);
    return { hardwareClass, entries, noiseFloor: floor };
  });
}

export interface EntryComparison extends PooledComparison {
  /** metric: the pooled samples; baseline_ratio: each side's ratio to the baseline interleaved in its own jobs. */
  basis: 'metric' | 'baseline_ratio';
}

/**
 * A against B. When both were run with the interleaved baseline, their ratios to it are compared
 * (the runner's drift between their jobs cancels); otherwise their pooled samples.
 */
export function compareEntries(a: Pick<BoardEntry, 'estimate' | 'baselineRatio'>, b: Pick<BoardEntry, 'estimate' | 'baselineRatio'>, rules: SignificanceRules): EntryComparison | null {
  if (a.baselineRatio?.se != null && b.baselineRatio?.se != null)
    return { ...comparePooled(a.baselineRatio, b.baselineRatio, rules.direction, rules.confidence), basis: 'baseline_ratio' };
  if (!a.estimate || !b.estimate) return null;
  return { ...comparePooled(a.estimate, b.estimate, rules.direction, rules.confidence), basis: 'metric' };
}
