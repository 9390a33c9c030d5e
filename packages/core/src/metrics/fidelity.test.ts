import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { scoreFidelity, poolFidelity, fidelityToken, exactMatch, scoreDecode, isFaithful, tokenMargin } from './index.ts';

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

test('scoreFidelity: empty is 1 (vacuous), negative margins clamp to 0, NaN never passes, bad tolerance throws', () => {
  assert.equal(scoreFidelity({ tokens: [], tolerance: 0 }).fidelity, 1);
  assert.throws(() => scoreFidelity({ tokens: [], tolerance: -1 }), RangeError);
  assert.equal(scoreFidelity({ tokens: [{ emitted: 1, refTop1: 0, margin: -0.1 }], tolerance: 0 }).fidelity, 1);
  assert.equal(scoreFidelity({ tokens: [{ emitted: 1, refTop1: 0, margin: NaN }], tolerance: 1e9 }).fidelity, 0);
  assert.equal(tokenMargin(1, 1.5), 0);
  assert.equal(tokenMargin(2, 1.5), 0.5);
  assert.equal(tokenMargin(NaN, 1), Infinity);
});

test('poolFidelity is token-weighted, not a mean of shares', () => {
  const a = scoreFidelity({ tokens: [{ emitted: 1, refTop1: 2, margin: 1 }], tolerance: 0 });
  const b = scoreFidelity({ tokens: Array.from({ length: 9 }, () => ({ emitted: 1, refTop1: 1, margin: 0 })), tolerance: 0 });
  const p = poolFidelity([b, a]);
  assert.equal(p.fidelity, 0.9);
  assert.equal(p.total, 10);
  assert.equal(p.firstUnfaithful, 9);
});

test('exactMatch: identical, diverging, length mismatch (position-wise)', () => {
  assert.deepEqual(exactMatch([1, 2, 3], [1, 2, 3]), { compared: 3, matched: 3, firstDivergence: null, identical: true });
  assert.deepEqual(exactMatch([1, 9, 3], [1, 2, 3]), { compared: 3, matched: 2, firstDivergence: 1, identical: false });
  assert.deepEqual(exactMatch([1, 2], [1, 2, 3]), { compared: 2, matched: 2, firstDivergence: 2, identical: false });
  assert.deepEqual(exactMatch([], []), { compared: 0, matched: 0, firstDivergence: null, identical: true });
});

test('scoreDecode pools fidelity over prompts and reports exact match beside it', () => {
  const s = scoreDecode(
    [
      { tokens: [{ emitted: 1, refTop1: 1, margin: 0 }, { emitted: 2, refTop1: 3, margin: 2 }], reference: [1, 3] },
      { tokens: [{ emitted: 4, refTop1: 4, margin: 0 }], reference: null },
    ],
    0.5,
  );
  assert.equal(s.tokens, 3);
  assert.equal(s.faithful, 2);
  assert.equal(s.fidelity, 2 / 3);
  assert.equal(s.exactMatchRate, 0.5);
  assert.equal(s.identicalPromptRate, 0);
  assert.equal(s.perPrompt[1]!.exact, null);
});

// Shared test vectors with the GPU challenge's Python harness (challenges/llm-decode), when present.
const vectorsPath = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'challenges', 'llm-decode', 'tests', 'fidelity-vectors.json');

interface VectorToken {
  emitted: number;
  ref_top1: number;
  ref_logit_emitted: number;
  ref_logit_top1: number;
}
interface VectorCase {
  name: string;
  tolerance: number;
  prompts: { tokens: VectorToken[]; emitted?: number[]; reference?: number[] | null }[];
  expected: {
    tokens: number;
    faithful: number;
    fidelity: number;
    top1_rate: number;
    exact_match_rate: number | null;
    identical_prompt_rate: number | null;
    per_prompt?: { tokens: number; faithful: number; fidelity: number; max_margin: number; first_unfaithful: number | null; first_divergence: number | null }[];
  };
}

test('shared fidelity vectors (challenges/llm-decode/tests/fidelity-vectors.json)', { skip: existsSync(vectorsPath) ? false : 'vectors file not present' }, () => {
  const { cases } = JSON.parse(readFileSync(vectorsPath, 'utf8')) as { cases: VectorCase[] };
  assert.ok(cases.length > 0, 'no cases in the vectors file');
  const close = (a: number | null, b: number | null, what: string): void => {
    if (a === null || b === null) assert.equal(a, b, what);
    else assert.ok(Math.abs(a - b) < 1e-12, `${what}: got ${a}, expected ${b}`);
  };
  for (const c of cases) {
    const s = scoreDecode(
      c.prompts.map((p) => ({
        tokens: p.tokens.map((t) => ({ emitted: t.emitted, refTop1: t.ref_top1, margin: tokenMargin(t.ref_logit_top1, t.ref_logit_emitted) })),
        ...(p.emitted ? { emitted: p.emitted } : {}),
        reference: p.reference ?? null,
      })),
      c.tolerance,
    );
    const e = c.expected;
    assert.equal(s.tokens, e.tokens, `${c.name}: tokens`);
    assert.equal(s.faithful, e.faithful, `${c.name}: faithful`);
    close(s.fidelity, e.fidelity, `${c.name}: fidelity`);
    close(s.top1Rate, e.top1_rate, `${c.name}: top1_rate`);
    close(s.exactMatchRate, e.exact_match_rate, `${c.name}: exact_match_rate`);
    close(s.identicalPromptRate, e.identical_prompt_rate, `${c.name}: identical_prompt_rate`);
    for (const [i, pp] of (e.per_prompt ?? []).entries()) {
      const got = s.perPrompt[i]!;
      assert.equal(got.total, pp.tokens, `${c.name} prompt ${i}: tokens`);
      assert.equal(got.faithful, pp.faithful, `${c.name} prompt ${i}: faithful`);
      close(got.fidelity, pp.fidelity, `${c.name} prompt ${i}: fidelity`);
      close(got.maxMargin, pp.max_margin, `${c.name} prompt ${i}: max_margin`);
      assert.equal(got.firstUnfaithful, pp.first_unfaithful, `${c.name} prompt ${i}: first_unfaithful`);
      assert.equal(got.exact?.firstDivergence ?? null, pp.first_divergence, `${c.name} prompt ${i}: first_divergence`);
    }
  }
});
