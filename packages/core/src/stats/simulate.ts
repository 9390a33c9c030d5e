import { mulberry32 } from '../random.ts';
import { comparePooled } from './compare.ts';
import { detectableDifference } from './noise.ts';
import { poolEstimate } from './pooled.ts';
import { rankEntries } from './ranking.ts';

/**
 * Validation of the significance rules by simulation, seeded so that a test can hold it to its
 * figures (docs/decisions/0105-significance.md). A speed is simulated as
 * center · exp(job effect + sample noise), both Gaussian on the log scale: the multiplicative
 * noise of a runner, with a share that all samples of one job have in common.
 */
export interface NoiseModel {
  /** Standard deviation of one sample around its job's level (log units, about the CV). */
  sampleSd: number;
  /** Standard deviation of a job's level around the entry's centre (log units). */
  jobSd: number;
  jobs: number;
  repeats: number;
}

/** Box-Muller normals from mulberry32: the same numbers on every machine. */
export function seededNormal(seed: number): () => number {
  const uniform = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

export function simulateJobs(normal: () => number, center: number, m: NoiseModel): number[][] {
  return Array.from({ length: m.jobs }, () => {
    const level = m.jobSd * normal();
    return Array.from({ length: m.repeats }, () => center * Math.exp(level + m.sampleSd * normal()));
  });
}

/** The minimum detectable difference (log units) of two entries under this model, as the leaderboard computes it. */
export function modelDetectable(m: NoiseModel, confidence: number) {
  const total = Math.sqrt(m.sampleSd ** 2 + m.jobSd ** 2);
  const jobMeans = Math.sqrt(m.jobSd ** 2 + m.sampleSd ** 2 / m.repeats);
  return detectableDifference(total, m.jobs >= 2 ? jobMeans : null, m.jobs * m.repeats, m.jobs, confidence)!;
}

/** Share of `trials` in which compare(A, B) says "better" although A and B are the same. */
export function falseBetterRate(m: NoiseModel, trials: number, seed: number, confidence = 0.95): number {
  const normal = seededNormal(seed);
  let better = 0;
  for (let i = 0; i < trials; i++) {
    const a = poolEstimate(simulateJobs(normal, 100, m), 'log', confidence)!;
    const b = poolEstimate(simulateJobs(normal, 100, m), 'log', confidence)!;
    if (comparePooled(a, b, 'maximize', confidence).verdict === 'better') better++;
  }
  return better / trials;
}

/** Share of `trials` in which compare(A, B) says "better" when A is truly `ratio` times B. */
export function power(m: NoiseModel, ratio: number, trials: number, seed: number, confidence = 0.95): number {
  const normal = seededNormal(seed);
  let better = 0;
  for (let i = 0; i < trials; i++) {
    const a = poolEstimate(simulateJobs(normal, 100 * ratio, m), 'log', confidence)!;
    const b = poolEstimate(simulateJobs(normal, 100, m), 'log', confidence)!;
    if (comparePooled(a, b, 'maximize', confidence).verdict === 'better') better++;
  }
  return better / trials;
}

/**
 * Share of `trials` in which adding one noisy entry (one job of a few samples with a wide spread,
 * centred on one of the others) leaves the tier of every other entry unchanged. With `minJobs`
 * above one such an entry is not ranked at all; with 1, the rank rule alone is what is tested,
 * and the noisy entry's own interval misses its true centre in about 1 - confidence of trials.
 */
export function tierStability(m: NoiseModel, centers: readonly number[], trials: number, seed: number, opts: { noisySd?: number; noisySamples?: number; minJobs?: number; confidence?: number } = {}): number {
  const confidence = opts.confidence ?? 0.95;
  const normal = seededNormal(seed);
  const rules = { direction: 'maximize' as const, minJobs: opts.minJobs ?? 1, minSamples: 2 };
  let unchanged = 0;
  for (let i = 0; i < trials; i++) {
    const entries = centers.map((c, k) => ({ key: `e${k}`, estimate: poolEstimate(simulateJobs(normal, c, m), 'log', confidence), guardrailsPassed: true }));
    const before = new Map(rankEntries(entries, rules).map((r) => [r.key, r.tier]));
    const at = centers[Math.floor(Math.abs(normal() * 1e6)) % centers.length]!;
    const noise = simulateJobs(normal, at, { sampleSd: opts.noisySd ?? 1, jobSd: 0, jobs: 1, repeats: opts.noisySamples ?? 3 });
    const after = rankEntries([...entries, { key: 'noisy', estimate: poolEstimate(noise, 'log', confidence), guardrailsPassed: true }], rules);
    if (after.filter((r) => r.key !== 'noisy').every((r) => before.get(r.key) === r.tier)) unchanged++;
  }
  return unchanged / trials;
}

export interface SimulationReport {
  model: NoiseModel;
  confidence: number;
  trials: number;
  seed: number;
  falseBetterRate: number;
  minimumDetectableRatio: number;
  powerAtTwiceMinimum: number;
  /** With the rank rule alone (every entry ranked from one job). */
  tierStabilityRankRule: number;
  /** With a minimum of `model.jobs` jobs, as the challenge sets it. */
  tierStabilityWithMinimums: number;
}

export function simulationReport(m: NoiseModel, trials = 1000, seed = 11, confidence = 0.95): SimulationReport {
  const d = modelDetectable(m, confidence);
  // entries a tier apart, so that tiers exist to be disturbed
  const step = Math.exp(1.5 * d.tiers);
  const centers = [100, 100 * step, 100 * step * step, 100 * step * step];
  return {
    model: m, confidence, trials, seed,
    falseBetterRate: falseBetterRate(m, trials, seed, confidence),
    minimumDetectableRatio: Math.exp(d.compare),
    powerAtTwiceMinimum: power(m, Math.exp(2 * d.compare), trials, seed + 1, confidence),
    tierStabilityRankRule: tierStability(m, centers, trials, seed + 2, { confidence }),
    tierStabilityWithMinimums: tierStability(m, centers, trials, seed + 2, { confidence, minJobs: m.jobs }),
  };
}
