import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulationReport } from './simulate.ts';

// The significance rules, validated by seeded simulation (docs/decisions/0105-significance.md):
// 1,000 ties, power at twice the minimum detectable difference, tiers under one noisy entry.
// Noise models: none shared by a job's samples, and as much shared as not.
for (const model of [{ sampleSd: 0.05, jobSd: 0, jobs: 3, repeats: 3 }, { sampleSd: 0.05, jobSd: 0.05, jobs: 3, repeats: 3 }]) {
  test(`significance by simulation: ${JSON.stringify(model)}`, () => {
    const r = simulationReport(model, 1000, 11);
    assert.ok(r.falseBetterRate <= 0.05, `false "better" over 1,000 ties: ${r.falseBetterRate}`);
    assert.ok(r.powerAtTwiceMinimum >= 0.9, `power at twice the minimum detectable difference (${r.minimumDetectableRatio}): ${r.powerAtTwiceMinimum}`);
    assert.equal(r.tierStabilityWithMinimums, 1, 'a one-job noisy entry is not ranked and moves nobody');
    assert.ok(r.tierStabilityRankRule >= 0.95, `rank rule alone: ${r.tierStabilityRankRule}`);
  });
}
