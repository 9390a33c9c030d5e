import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rankPools } from './leaderboard.ts';

test('pooled ranking: ties share a tier, guardrail failures are shown unranked, direction respected', () => {
  const pools = [
    { key: 'a', samples: [118.2, 119.1, 117.0, 118.9], guardrailsPassed: true },
    { key: 'b', samples: [119.0, 117.8, 120.1, 118.6], guardrailsPassed: true },
    { key: 'c', samples: [100.1, 99.5, 100.4, 99.9], guardrailsPassed: true },
    { key: 'd', samples: [250, 251, 249], guardrailsPassed: false },
    { key: 'e', samples: [], guardrailsPassed: true },
  ];
  const out = rankPools(pools, 'maximize');
  assert.deepEqual(out.map((p) => [p.key, p.rank, p.tier]), [['b', 1, 1], ['a', 2, 1], ['c', 3, 2], ['d', null, null]]);
  assert.ok(out[0]!.ciLow! < out[0]!.mean && out[0]!.ciHigh! > out[0]!.mean);
  const min = rankPools(pools.slice(0, 3), 'minimize');
  assert.deepEqual(min.map((p) => p.key), ['c', 'a', 'b']);
  assert.deepEqual(min.map((p) => p.tier), [1, 2, 2]);
});

test('the pooled mean is not the best run; single samples tie only when equal', () => {
  const [p] = rankPools([{ key: 'x', samples: [100, 130, 100, 100], guardrailsPassed: true }], 'maximize');
  assert.equal(p!.mean, 107.5);
  const singles = rankPools([
    { key: 'x', samples: [5], guardrailsPassed: true },
    { key: 'y', samples: [5], guardrailsPassed: true },
    { key: 'z', samples: [4], guardrailsPassed: true },
  ], 'maximize');
  assert.deepEqual(singles.map((s) => s.tier), [1, 1, 2]);
});
