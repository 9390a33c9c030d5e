import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobState } from '../schemas/jobs.ts';
import { verificationVerdict, type VerificationInput } from './verification.ts';

const PUBLIC = [100, 102, 98, 101, 99];
const base: VerificationInput = {
  direction: 'maximize', confidence: 0.95, publicSamples: PUBLIC, privateState: 'succeeded', privateSamples: [99, 101, 100], privateGuardrails: [{ name: 'ppl', passed: true }],
};

test('verificationVerdict: verified when the private run passes and ties or beats the public claim; diverged with what diverged', () => {
  const cases: Array<[string, Partial<VerificationInput>, string]> = [
    ['a tie', {}, 'verified'],
    ['better on private', { privateSamples: [150, 152, 149] }, 'verified'],
    ['a little worse, within noise', { privateSamples: [97, 103, 95] }, 'verified'],
    ['clearly worse (the overfit: 25x faster on public)', { privateSamples: [4, 4.1, 3.9] }, 'diverged:metric'],
    ['a guardrail failed', { privateState: 'guardrail_failed', privateGuardrails: [{ name: 'ppl', passed: false }] }, 'diverged:guardrails'],
    ['both', { privateState: 'guardrail_failed', privateSamples: [4, 4.1, 3.9], privateGuardrails: [{ name: 'ppl', passed: false }] }, 'diverged:guardrails,metric'],
    ['minimize: lower is better, higher on private diverges', { direction: 'minimize', privateSamples: [150, 152, 149] }, 'diverged:metric'],
    ['minimize: lower on private verifies', { direction: 'minimize', privateSamples: [50, 51, 49] }, 'verified'],
    ['one private sample: cannot tell', { privateSamples: [100] }, 'inconclusive'],
    ['one private sample but a failed guardrail: diverged regardless', { privateSamples: [100], privateState: 'guardrail_failed', privateGuardrails: [{ name: 'ppl', passed: false }] }, 'diverged:guardrails'],
    ...(['failed', 'timed_out', 'errored', 'cancelled'] as JobState[]).map((s): [string, Partial<VerificationInput>, string] => [`the private run ${s}`, { privateState: s, privateSamples: [] }, 'failed']),
  ];
  for (const [name, over, want] of cases) {
    const v = verificationVerdict({ ...base, ...over });
    assert.equal(v.verdict === 'diverged' ? `diverged:${v.diverged.join(',')}` : v.verdict, want, name);
  }
  const overfit = verificationVerdict({ ...base, privateSamples: [4, 4.1, 3.9] });
  assert.ok(overfit.verdict === 'diverged' && /0\.0400× the public claim/.test(overfit.detail), JSON.stringify(overfit));
});
