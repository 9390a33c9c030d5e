/**
 * tiny-lm end to end: the harness scores the shipped submissions and the misbehaving fixtures.
 *   node --test challenges/tiny-lm/tests/
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { ChallengeSpec, HarnessResult } from '@agora/core';
import { runHarness, CHALLENGE_DIR } from '../harness/run.ts';

const sub = (name: string): string => join(CHALLENGE_DIR, 'submissions', name);
const fixture = (name: string): string => join(dirname(fileURLToPath(import.meta.url)), 'fixtures', name);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const guard = (r: HarnessResult, name: string) => r.guardrails.find((g) => g.name === name)!;

test('challenge.yaml validates against ChallengeSpec', () => {
  const spec = ChallengeSpec.parse(parseYaml(readFileSync(join(CHALLENGE_DIR, 'challenge.yaml'), 'utf8')));
  assert.equal(spec.id, 'tiny-lm');
  assert.deepEqual(spec.hardware, ['cpu']);
  assert.deepEqual(spec.guardrails.map((g) => g.name).sort(), ['decode_fidelity', 'perplexity']);
  assert.ok(!/__/.test(JSON.stringify(spec)), 'placeholders left in challenge.yaml');
});

test('every bundle that ships weights ships the canonical ones', () => {
  const h = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');
  const want = h(join(CHALLENGE_DIR, 'model', 'weights.bin'));
  for (const s of ['baseline', 'faster', 'cheat', 'overfit']) assert.equal(h(join(sub(s), 'weights.bin')), want, `${s}/weights.bin differs from model/weights.bin (run training/make-data.ts)`);
});

test('baseline passes, faster beats it and passes, on the public split', async () => {
  const base = await runHarness({ submission: sub('baseline'), split: 'public', repeats: 2 });
  const fast = await runHarness({ submission: sub('faster'), split: 'public', repeats: 2 });
  for (const r of [base, fast]) {
    HarnessResult.parse(r);
    assert.equal(r.status, 'ok', JSON.stringify(r.failure));
    assert.equal(r.metric.samples.length, 2);
    assert.ok(guard(r, 'perplexity').passed, `perplexity ${guard(r, 'perplexity').value}`);
    assert.ok(guard(r, 'decode_fidelity').passed, `fidelity ${guard(r, 'decode_fidelity').value}`);
    assert.equal(r.environment.sandbox, 'none');
    assert.ok(r.samples.length > 0 && Array.isArray(r.samples[0]!.margins));
  }
  assert.equal(base.extra.exact_match_rate, 1, 'the baseline reproduces the reference decodes');
  const b = mean(base.metric.samples);
  const f = mean(fast.metric.samples);
  assert.ok(Math.min(...fast.metric.samples) > Math.max(...base.metric.samples), `faster ${f.toFixed(1)} tok/s vs baseline ${b.toFixed(1)} tok/s`);
});

test('the cheating submission fails a guardrail', async () => {
  const r = await runHarness({ submission: sub('cheat'), split: 'public', repeats: 1 });
  assert.equal(r.status, 'ok');
  assert.equal(guard(r, 'decode_fidelity').passed, false, `fidelity ${guard(r, 'decode_fidelity').value}`);
  assert.ok(r.guardrails.some((g) => !g.passed));
});

test('the overfit cheat passes on the public split and fails on the private one', async () => {
  const pub = await runHarness({ submission: sub('overfit'), split: 'public', repeats: 1 });
  const priv = await runHarness({ submission: sub('overfit'), split: 'private', repeats: 1 });
  assert.ok(pub.guardrails.every((g) => g.passed), 'public: a table of public answers looks perfect');
  assert.equal(guard(priv, 'decode_fidelity').passed, false, `private fidelity ${guard(priv, 'decode_fidelity').value}`);
});

test('made-up prompt log-probabilities fail the perplexity guardrail, however low', async () => {
  const r = await runHarness({ submission: fixture('liar'), split: 'public', repeats: 1 });
  const ppl = guard(r, 'perplexity');
  assert.ok((ppl.value ?? 0) < 1.01, `reported perplexity ${ppl.value}`);
  assert.equal(ppl.passed, false);
  assert.equal(ppl.detail.consistent_with_reference, false);
  assert.ok(guard(r, 'decode_fidelity').passed, 'its decode is honest');
});

for (const [name, code] of [
  ['crash', 'crashed'],
  ['hang', 'timeout'],
  ['garbage', 'protocol_error'],
  ['no-start', 'start_failed'],
] as const) {
  test(`a submission that ${name === 'no-start' ? 'cannot start' : name + 's'} gets status failed (${code})`, async () => {
    const r = await runHarness({ submission: fixture(name), split: 'public', repeats: 1, requestTimeoutMs: 1500 });
    HarnessResult.parse(r);
    assert.equal(r.status, 'failed');
    assert.equal(r.failure?.code, code, r.failure?.reason);
    assert.ok((r.failure?.reason.length ?? 0) > 20);
  });
}

test('a directory without agora.json is a bad manifest', async () => {
  const r = await runHarness({ submission: fixture('.'), split: 'public', repeats: 1 });
  assert.equal(r.status, 'failed');
  assert.equal(r.failure?.code, 'bad_manifest');
});

// Inside the runner's bubblewrap sandbox (packages/runner/src/sandbox), when this machine has one.
const bwrap = ['/usr/bin/bwrap', '/bin/bwrap', '/usr/local/bin/bwrap'].some((p) => existsSync(p));
test('the faster submission also runs inside the runner sandbox (AGORA_SANDBOX_EXEC)', { skip: bwrap ? false : 'bubblewrap not installed' }, async (t) => {
  let prefixFor: ((dir: string) => string[]) | null = null;
  try {
    const mod = (await import('../../../packages/runner/src/sandbox/exec.ts')) as { sandboxExecPrefix: (spec: unknown) => string[] };
    prefixFor = (dir) =>
      mod.sandboxExecPrefix({ bundleDir: dir, scratchDir: mkdtempSync(join(tmpdir(), 'tiny-lm-sbx-')), limits: { wallSeconds: 60, cpuSeconds: 60, memoryMb: 1024, processes: 32 } });
  } catch (e) {
    t.skip(`runner sandbox not importable: ${(e as Error).message}`);
    return;
  }
  const old = process.env.AGORA_SANDBOX_EXEC;
  process.env.AGORA_SANDBOX_EXEC = JSON.stringify(prefixFor(sub('faster')));
  try {
    const r = await runHarness({ submission: sub('faster'), split: 'public', repeats: 1 });
    assert.equal(r.status, 'ok', JSON.stringify(r.failure));
    assert.notEqual(r.environment.sandbox, 'none');
    assert.ok(r.guardrails.every((g) => g.passed));
  } finally {
    if (old === undefined) delete process.env.AGORA_SANDBOX_EXEC;
    else process.env.AGORA_SANDBOX_EXEC = old;
  }
});
