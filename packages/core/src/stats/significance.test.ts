import assert from 'node:assert/strict';
import { test } from 'node:test';
import { comparePooled } from './compare.ts';
import { noiseFloor } from './noise.ts';
import { baselineRatios, poolEstimate } from './pooled.ts';
import { rankEntries } from './ranking.ts';
import { studentTQuantile, studentTQuantileCacheSize } from './stats.ts';

const close = (a: number | null, b: number, tol = 1e-9) => assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} ≉ ${b}`);
const est = (jobs: number[][], scale: 'log' | 'linear' = 'log') => poolEstimate(jobs, scale)!;

test('a speed\'s interval is on the log scale: positive, around the geometric mean, however noisy', () => {
  // the noisy entry: three samples whose linear interval went below zero
  const noisy = est([[1200, 64_000, 2000]]);
  assert.ok(noisy.low! > 0 && noisy.low! < noisy.center && noisy.center < noisy.high!);
  close(noisy.center, Math.cbrt(1200 * 64_000 * 2000), 1e-6);
  const linear = est([[1200, 64_000, 2000]], 'linear');
  assert.ok(linear.low! < 0, 'the linear interval of the same samples crosses zero');
  // non-positive samples carry no speed: left out on the log scale
  assert.equal(est([[100, 0, -3, 110]]).n, 2);
  assert.equal(poolEstimate([[0, -1]]), null);
  assert.equal(est([[5]]).low, null, 'one sample has no interval');
});

test('samples of one job are not independent: the interval is no narrower than the job means say', () => {
  // three jobs whose samples agree within the job but not across jobs
  const clustered = est([[100, 100.1, 99.9], [120, 120.1, 119.9], [80, 80.1, 79.9]]);
  assert.equal(clustered.df, 2, 'degrees of freedom of the job means');
  const naive = poolEstimate([[100, 100.1, 99.9, 120, 120.1, 119.9, 80, 80.1, 79.9]])!;
  assert.equal(naive.df, 8);
  assert.ok(clustered.high! - clustered.low! > 2 * (naive.high! - naive.low!));
  // jobs that agree: the sample-level error, with all its degrees of freedom
  assert.equal(est([[100, 110, 90], [101, 109, 91], [99, 111, 90]]).df, 8);
});

test('rank = 1 + entries wholly above; one noisy entry cannot pull the others into one tier', () => {
  const base = { key: 'baseline', estimate: est([[94, 95, 96], [94.5, 95.5, 94.8]]), guardrailsPassed: true };
  const fast = { key: 'faster', estimate: est([[1480, 1500, 1490], [1470, 1510, 1495]]), guardrailsPassed: true };
  const fast2 = { key: 'faster-comment', estimate: est([[1475, 1505, 1492], [1490, 1500, 1480]]), guardrailsPassed: true };
  const rules = { direction: 'maximize' as const, minJobs: 1, minSamples: 2 };
  const before = rankEntries([base, fast, fast2], rules);
  assert.deepEqual(before.map((r) => r.rank), [1, 1, 3]);
  assert.equal(before.find((r) => r.key === 'baseline')!.rank, 3);
  assert.equal(before.find((r) => r.key === 'baseline')!.tier, 2);
  assert.deepEqual(new Set(before.filter((r) => r.tier === 1).map((r) => r.key)), new Set(['faster', 'faster-comment']));
  const noisy = { key: 'noisy', estimate: est([[1200, 64_000, 2000]]), guardrailsPassed: true };
  const after = rankEntries([base, fast, fast2, noisy], rules);
  for (const r of before) assert.deepEqual(after.find((x) => x.key === r.key)!.tier, r.tier, `${r.key} keeps its tier`);
  assert.equal(after.find((r) => r.key === 'noisy')!.rank, 1, 'nothing lies wholly above it, and it lies wholly above nothing');
  // minimize: the order turns around
  const min = rankEntries([base, fast], { ...rules, direction: 'minimize' });
  assert.deepEqual(min.map((r) => [r.key, r.rank]), [['baseline', 1], ['faster', 2]]);
});

test('entries below the minimum of jobs or samples, or failing a guardrail, are shown unranked and rank nobody', () => {
  const rules = { direction: 'maximize' as const, minJobs: 2, minSamples: 6 };
  const ok = { key: 'ok', estimate: est([[10, 11, 10.5], [10.2, 10.8, 10.4]]), guardrailsPassed: true };
  const oneJob = { key: 'one-job', estimate: est([[50, 51, 52, 50, 51, 52]]), guardrailsPassed: true };
  const few = { key: 'few', estimate: est([[50, 51], [52, 51]]), guardrailsPassed: true };
  const failed = { key: 'failed', estimate: est([[90, 91, 92], [90, 91, 92]]), guardrailsPassed: false };
  const out = rankEntries([failed, oneJob, few, ok], rules);
  assert.equal(out[0]!.key, 'ok', 'ranked entries first');
  assert.deepEqual(Object.fromEntries(out.map((r) => [r.key, [r.rank, r.tier, r.unranked]])), {
    ok: [1, 1, null], failed: [null, null, 'guardrail_failed'], 'one-job': [null, null, 'too_few_jobs'], few: [null, null, 'too_few_samples'],
  });
});

test('compare answers better, worse or tie with the interval of the ratio', () => {
  const a = est([[150, 152, 149], [151, 150, 153], [148, 151, 150]]);
  const b = est([[100, 101, 99], [100, 102, 99], [101, 100, 98]]);
  const c = est([[100.5, 100, 99.5], [101, 99, 100], [100, 101, 99]]);
  const ab = comparePooled(a, b, 'maximize');
  assert.equal(ab.verdict, 'better');
  assert.ok(ab.low! > 1.45 && ab.high! < 1.55 && ab.low! < ab.estimate && ab.estimate < ab.high!, JSON.stringify(ab));
  assert.equal(comparePooled(b, a, 'maximize').verdict, 'worse');
  assert.equal(comparePooled(a, b, 'minimize').verdict, 'worse', 'for a time, higher is worse');
  const bc = comparePooled(b, c, 'maximize');
  assert.equal(bc.verdict, 'tie');
  assert.ok(bc.low! < 1 && bc.high! > 1);
  assert.equal(comparePooled(est([[5]]), b, 'maximize').verdict, 'insufficient');
  const lin = comparePooled(est([[3, 4, 5]], 'linear'), est([[0, 1, -1]], 'linear'), 'maximize');
  assert.equal(lin.scale, 'linear');
  close(lin.estimate, 4);
});

test('baseline ratios pair repeats; the noise floor gives the minimum detectable difference', () => {
  assert.deepEqual(baselineRatios([200, 300, 0], [100, 150, 100, 100]), [2, 2]);
  const entries = [est([[100, 104, 96], [101, 99, 103], [98, 102, 100]]), est([[200, 208, 192], [202, 198, 206], [196, 204, 200]])];
  const floor = noiseFloor(entries, { scale: 'log', minJobs: 3, minSamples: 9, confidence: 0.95 });
  assert.equal(floor.entries, 2);
  assert.ok(floor.relativeSampleSd! > 0.02 && floor.relativeSampleSd! < 0.04, String(floor.relativeSampleSd));
  assert.ok(floor.minimumDetectable! > 0.01 && floor.minimumDetectable! < 0.1, String(floor.minimumDetectable));
  assert.ok(floor.tierSeparation! > floor.minimumDetectable!, 'tiers need more than a pairwise test');
  assert.equal(noiseFloor([], { scale: 'log', minJobs: 3, minSamples: 9, confidence: 0.95 }).minimumDetectable, null);
});

test('Student t quantiles are found once per (p, df), then served from the cache', () => {
  const q = studentTQuantile(0.975, 7.25);
  const size = studentTQuantileCacheSize();
  assert.equal(studentTQuantile(0.975, 7.25), q);
  assert.equal(studentTQuantileCacheSize(), size, 'no new entry for a repeated quantile');
  studentTQuantile(0.975, 7.5);
  assert.equal(studentTQuantileCacheSize(), size + 1);
});
