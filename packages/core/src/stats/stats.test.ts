import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mean, median, stdev, studentTCdf, studentTQuantile, summarize, welch } from './stats.ts';

const close = (a: number | null, b: number, tol = 1e-6) => assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} ≉ ${b}`);

test('mean and sample standard deviation', () => {
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  close(stdev([2, 4, 4, 4, 5, 5, 7, 9]), 2.138089935);
  assert.equal(stdev([5]), null);
  assert.ok(Number.isNaN(mean([])));
});

test('Student t quantiles match published tables', () => {
  // Two-sided 95%: df 1, 2, 5, 10, 30; and 99% at df 3.
  close(studentTQuantile(0.975, 1), 12.7062047, 1e-5);
  close(studentTQuantile(0.975, 2), 4.30265273, 1e-6);
  close(studentTQuantile(0.975, 5), 2.57058184, 1e-6);
  close(studentTQuantile(0.975, 10), 2.22813885, 1e-6);
  close(studentTQuantile(0.975, 30), 2.04227246, 1e-6);
  close(studentTQuantile(0.995, 3), 5.84090931, 1e-5);
  close(studentTQuantile(0.025, 5), -2.57058184, 1e-6);
  close(studentTCdf(0, 7), 0.5);
  close(studentTCdf(2.22813885, 10), 0.975, 1e-7);
});

test('summarize: mean ± t·s/√n', () => {
  const s = summarize([118.2, 119.1, 117.0, 118.9], 0.95);
  assert.equal(s.n, 4);
  close(s.mean, 118.3);
  const half = (3.18244631 * stdev([118.2, 119.1, 117.0, 118.9])!) / 2;
  close(s.ciLow, 118.3 - half, 1e-5);
  close(s.ciHigh, 118.3 + half, 1e-5);
  const one = summarize([3]);
  assert.equal(one.ciLow, null);
  assert.equal(one.mean, 3);
});

test('Welch: a 1% gap under 1% noise with 4 runs each is a tie; a 10% gap is not', () => {
  const a = [118.2, 119.1, 117.0, 118.9];
  const b = [119.0, 117.8, 120.1, 118.6];
  const tie = welch(a, b)!;
  assert.equal(tie.significant, false);
  assert.ok(tie.ciLow < 0 && tie.ciHigh > 0);
  const far = welch(a.map((x) => x * 1.1), b)!;
  assert.equal(far.significant, true);
  assert.ok(far.diff > 0 && far.ciLow > 0);
  // Reference values from scipy.stats.ttest_ind(a, b, equal_var=False).
  close(tie.t, -0.8534141674, 1e-8);
  close(tie.df, 5.9995438465, 1e-8);
  close(tie.p, 0.4261838582, 1e-8);
  assert.equal(welch([1], [2, 3]), null);
});

test('median', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});
