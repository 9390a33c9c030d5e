import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { scoreFidelity, poolFidelity, fidelityToken, exactMatch, exactMatchRate, isFaithful } from './index.ts';

test('fidelityToken: top-1, margin, lowest id on ties', () => {
  assert.deepEqual(fidelityToken([0.5, 2, 1], 1), { emitted: 1, refTop1: 1, margin: 0 });
  assert.deepEqual(fidelityToken([0.5, 2, 1], 2), { emitted: 2, refTop1: 1, margin: 1 });
  assert.deepEqual(fidelityToken([3, 3, 1], 1), { emitted: 1, refTop1: 0, margin: 0 });
  assert.throws(() => fidelityToken([1, 2], 2), RangeError);
  assert.throws(() => fidelityToken([1, 2], -1), RangeError);
});

test('scoreFidelity: top-1, near-ties within tolerance, unfaithful', () => {
  const s = scoreFidelity({
    tokens: [
      { emitted: 5, refTop1: 5, margin: 0 },
      { emitted: 3, refTop1: 4, margin: 0.005 },
      { emitted: 3, refTop1: 4, margin: 0.01 },
      { emitted: 1, refTop1: 2, margin: 0.5 },
    ],
    tolerance: 0.01,
  });
  assert.equal(s.total, 4);
  assert.equal(s.top1, 1);
  assert.equal(s.withinTolerance, 2);
  assert.equal(s.faithful, 3);
  assert.equal(s.fidelity, 0.75);
  assert.equal(s.firstUnfaithful, 3);
  assert.equal(s.maxMargin, 0.5);
  assert.equal(isFaithful({ emitted: 3, refTop1: 4, margin: 0.01 }, 0.01), true);
  assert.equal(isFaithful({ emitted: 3, refTop1: 4, margin: 0.0100001 }, 0.01), false);
});

test('scoreFidelity: empty is 0, bad inputs throw', () => {
  assert.equal(scoreFidelity({ tokens: [], tolerance: 0 }).fidelity, 0);
  assert.throws(() => scoreFidelity({ tokens: [], tolerance: -1 }), RangeError);
  assert.throws(() => scoreFidelity({ tokens: [{ emitted: 1, refTop1: 0, margin: -0.1 }], tolerance: 0 }), RangeError);
});

test('poolFidelity is token-weighted, not a mean of shares', () => {
  const a = scoreFidelity({ tokens: [{ emitted: 1, refTop1: 2, margin: 1 }], tolerance: 0 });
  const b = scoreFidelity({ tokens: Array.from({ length: 9 }, () => ({ emitted: 1, refTop1: 1, margin: 0 })), tolerance: 0 });
  const p = poolFidelity([b, a]);
  assert.equal(p.fidelity, 0.9);
  assert.equal(p.total, 10);
  assert.equal(p.firstUnfaithful, 9);
});

test('exactMatch: identical, diverging, length mismatch', () => {
  assert.deepEqual(exactMatch([1, 2, 3], [1, 2, 3]), { exact: true, firstDivergence: null, matchedPrefix: 3, rate: 1 });
  assert.deepEqual(exactMatch([1, 9, 3], [1, 2, 3]), { exact: false, firstDivergence: 1, matchedPrefix: 1, rate: 1 / 3 });
  assert.deepEqual(exactMatch([1, 2], [1, 2, 3]), { exact: false, firstDivergence: 2, matchedPrefix: 2, rate: 2 / 3 });
  assert.equal(exactMatch([], []).rate, 1);
  const r = exactMatchRate([
    { emitted: [1], reference: [1] },
    { emitted: [2], reference: [1] },
  ]);
  assert.equal(r.exactRate, 0.5);
  assert.equal(r.meanPrefixRate, 0.5);
});

// Shared test vectors from the GPU challenge (challenges/llm-decode), when that challenge is present.
const vectorsPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'challenges', 'llm-decode', 'tests', 'fidelity-vectors.json');
test('shared fidelity vectors (challenges/llm-decode/tests/fidelity-vectors.json)', { skip: existsSync(vectorsPath) ? false : 'vectors file not present' }, () => {
  const raw = JSON.parse(readFileSync(vectorsPath, 'utf8')) as unknown;
  const cases = (Array.isArray(raw) ? raw : ((raw as { cases?: unknown[]; vectors?: unknown[] }).cases ?? (raw as { vectors?: unknown[] }).vectors ?? [])) as Record<string, unknown>[];
  assert.ok(cases.length > 0, 'no cases in the vectors file');
  for (const [i, c] of cases.entries()) {
    const tolerance = Number(c.tolerance);
    const expected = (c.expected ?? c) as Record<string, unknown>;
    let tokens: { emitted: number; refTop1: number; margin: number }[];
    if (Array.isArray(c.logits)) {
      const emitted = c.emitted as number[];
      tokens = (c.logits as number[][]).map((row, j) => fidelityToken(row, emitted[j] as number));
    } else {
      tokens = (c.tokens as Record<string, number>[]).map((t) => ({ emitted: t.emitted as number, refTop1: (t.refTop1 ?? t.ref_top1) as number, margin: t.margin as number }));
    }
    const s = scoreFidelity({ tokens, tolerance });
    const want = Number(expected.fidelity);
    assert.ok(Math.abs(s.fidelity - want) < 1e-12, `case ${String(c.name ?? i)}: fidelity ${s.fidelity}, expected ${want}`);
  }
});
