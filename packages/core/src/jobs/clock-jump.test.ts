import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clockJumpTracker, wallClockJump } from './clock-jump.ts';

const YEAR = 365 * 24 * 3600 * 1000;

test('a jump is the wall time that moved beyond the monotonic time; small differences are not jumps', () => {
  const at = { wallMs: 1_800_000_000_000, monoMs: 5_000 };
  const cases: Array<[string, number, number, number]> = [
    ['steady', 5_000, 5_000, 0],
    ['a slow sweep (both clocks move together)', 90_000, 90_000, 0],
    ['a slew of a few seconds', 7_000, 5_000, 0],
    ['four years forward', 4 * YEAR + 5_000, 5_000, 4 * YEAR],
    ['four years back', -4 * YEAR + 5_000, 5_000, -4 * YEAR],
    ['an hour back', -3_600_000, 5_000, -3_605_000],
  ];
  for (const [name, dWall, dMono, want] of cases)
    assert.equal(wallClockJump(at, { wallMs: at.wallMs + dWall, monoMs: at.monoMs + dMono }), want, name);
});

test('the tracker answers the jump since its previous reading, once', () => {
  const jumpOf = clockJumpTracker();
  assert.equal(jumpOf({ wallMs: 1_000_000, monoMs: 0 }), 0, 'the first reading has nothing to compare with');
  assert.equal(jumpOf({ wallMs: 1_005_000, monoMs: 5_000 }), 0);
  assert.equal(jumpOf({ wallMs: 1_005_000 + YEAR, monoMs: 10_000 }), YEAR - 5_000);
  assert.equal(jumpOf({ wallMs: 1_010_000 + YEAR, monoMs: 15_000 }), 0, 'after the jump, time runs on from the new clock');
});
