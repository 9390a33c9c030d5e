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
import { runHarness, planJob, CHALLENGE_DIR } from '../harness/run.ts';
import { privatePools, LENGTHS, PER_REPEAT, PRIVATE_SEED_VAR } from '../harness/data.ts';

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

// ---- guardrails hard to game (issue 11, docs/decisions/0106)

test('each job draws its own requests and order from its seed; ids say nothing; a seed reproduces a job', () => {
  const a = planJob(CHALLENGE_DIR, 'public', 3, 'seed-a').plan.filter((q) => q.repeat >= 0);
  const a2 = planJob(CHALLENGE_DIR, 'public', 3, 'seed-a').plan.filter((q) => q.repeat >= 0);
  const b = planJob(CHALLENGE_DIR, 'public', 3, 'seed-b').plan.filter((q) => q.repeat >= 0);
  assert.deepEqual(a.map((q) => q.item.id), a2.map((q) => q.item.id), 'the same seed, the same job');
  assert.notDeepEqual(a.map((q) => q.item.id), b.map((q) => q.item.id), 'another seed, other requests');
  assert.equal(new Set(a.map((q) => q.item.id)).size, a.length, 'no request twice in a job');
  assert.equal(a.length, 3 * (PER_REPEAT.prompts + PER_REPEAT.heldout));
  assert.ok(a.every((q) => /^r[0-9a-f]{12}$/.test(q.id)) && new Set(a.map((q) => q.id)).size === a.length);
  const overlap = a.filter((q) => b.some((x) => x.item.id === q.item.id)).length;
  assert.ok(overlap < a.length / 2, `two jobs share ${overlap} of ${a.length} requests`);
});

test('held-out requests are shaped like prompts: lengths from one distribution', () => {
  const { plan } = planJob(CHALLENGE_DIR, 'public', 3, 'shape');
  const lens = (kind: string) => plan.filter((q) => q.item.kind === kind).map((q) => q.item.prompt.length);
  for (const kind of ['prompt', 'heldout']) {
    const l = lens(kind);
    assert.ok(Math.min(...l) >= LENGTHS.min && Math.max(...l) <= LENGTHS.max, kind);
  }
  // the best length threshold tells the kinds apart little better than guessing "prompt" (2 in 3)
  const all = plan.filter((q) => q.repeat >= 0).map((q) => ({ len: q.item.prompt.length, held: q.item.kind === 'heldout' }));
  let best = 0;
  for (let t = LENGTHS.min; t <= LENGTHS.max; t++)
    for (const above of [true, false]) best = Math.max(best, all.filter((x) => (x.len >= t) === above ? x.held : !x.held).length / all.length);
  assert.ok(best < 0.8, `a length threshold classifies ${(best * 100).toFixed(0)}%`);
});

test('private data comes from the runner\'s secret seed, not from the repository', () => {
  assert.equal(existsSync(join(CHALLENGE_DIR, 'data', 'private')), false, 'no private data committed');
  const one = privatePools({ [PRIVATE_SEED_VAR]: 'runner-secret-1' });
  const two = privatePools({ [PRIVATE_SEED_VAR]: 'runner-secret-2' });
  const dev = privatePools({});
  assert.equal(one.source, 'private-seed');
  assert.equal(dev.source, 'development-seed');
  assert.notDeepEqual(one.prompts.map((p) => p.text), two.prompts.map((p) => p.text));
  assert.notDeepEqual(one.prompts.map((p) => p.text), dev.prompts.map((p) => p.text));
  const pub = new Set((JSON.parse(readFileSync(join(CHALLENGE_DIR, 'data', 'public', 'prompts.json'), 'utf8')) as { text: string }[]).map((p) => p.text));
  assert.ok(one.prompts.filter((p) => pub.has(p.text)).length <= 2, 'private prompts are not the public ones');
});

test('an answer that arrives before its request is written fails the job', async () => {
  const r = await runHarness({ submission: fixture('prewrite'), split: 'public', repeats: 1, interleaveBaseline: null });
  assert.equal(r.status, 'failed');
  assert.equal(r.failure?.code, 'protocol_error');
  assert.match(r.failure!.reason, /arrived before request/);
});
