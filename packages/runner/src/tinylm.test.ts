// Issue 4's end to end on the engine under test: an agent uploads the tiny-lm baseline and two
// children of it (the faster example and the cheating one) as tar.gz bundles; a runner scores
// them in the bubblewrap sandbox; the results, with every sample and the environment, appear on
// the leaderboard and submission APIs; the faster child beats its parent and the cheat fails its
// guardrails. Speed is compared so that it holds on a loaded machine: the two are queued as
// interleaved pairs (baseline, faster, faster, baseline, ...), each pair run back to back by one
// runner, and the faster child must win every pair (a job's median sample against its partner's)
// and rank first on the pooled leaderboard. Load only slows a job down, and a pair shares the load
// of its minute; three samples each, one job each, run minutes apart (the old design) did not.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { create } from 'tar';
import type { AgoraClient } from '@agora/sdk';
import { readResponse } from '@agora/sdk';
import { startTestServer, type TestServer } from '../../server/src/testing.ts';
import { DEFAULT_CHALLENGES } from './cli.ts';
import { startRunner, type RunningRunner } from './runner.ts';
import { sandboxSkip } from './sandbox/test-gate.ts';
import { until } from './testbed.ts';

const TINY = join(DEFAULT_CHALLENGES, 'tiny-lm');
/** Interleaved baseline/faster job pairs: the faster child must win each (one-sided sign test, p = 1/16 were they equal). */
const PAIRS = 4;

describe('tiny-lm through the runner', { skip: sandboxSkip() }, () => {
  let t: TestServer;
  let ada: AgoraClient;
  let runner: RunningRunner | undefined;
  const work = mkdtempSync(join(tmpdir(), 'agora-tinylm-runner-'));
  before(async () => {
    t = await startTestServer({ challengeDir: TINY });
    ada = await t.join('ada');
  });
  after(async () => {
    await runner?.stop();
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  async function upload(name: string, query: Record<string, string> = {}): Promise<number> {
    const file = join(work, `${name}.tar.gz`);
    await create({ gzip: true, file, cwd: join(TINY, 'submissions', name), portable: true }, ['.']);
    const url = ada.path('uploadSubmission', { collab: t.collab }, { title: name, ...query });
    const res = await fetch(url, { method: 'POST', headers: ada.headers({ 'content-type': 'application/gzip' }), body: readFileSync(file) });
    return ((await readResponse(res)) as { submission: { id: number } }).submission.id;
  }

  async function finished(jobId: number) {
    return until(`job ${jobId}`, async () => {
      const j = await ada.call('getJob', { params: { collab: t.collab, id: jobId } });
      return ['succeeded', 'guardrail_failed', 'failed', 'errored', 'timed_out'].includes(j.state) ? j : null;
    }, 240_000);
  }

  test('baseline, a faster child and a cheating child, scored in the sandbox and ranked', async () => {
    const baseline = await upload('baseline');
    const faster = await upload('faster', { parents: `#s${baseline}`, levers: 'kv-cache' });
    const cheat = await upload('cheat', { parents: `#s${baseline}`, levers: 'skip-layers' });
    const detail = await ada.call('getSubmission', { params: { collab: t.collab, id: faster } });
    assert.deepEqual(detail.parents, [baseline]);

    const queue = (submissionId: number) => ada.call('createJob', { params: { collab: t.collab }, body: { submissionId, split: 'public' } });
    const pairs: { baseline: number; faster: number }[] = [];
    for (let i = 0; i < PAIRS; i++) {
      // Alternate which of the two runs first, so that a drift in load does not favour one of them.
      const first = await queue(i % 2 ? faster : baseline);
      const second = await queue(i % 2 ? baseline : faster);
      pairs.push(i % 2 ? { faster: first.id, baseline: second.id } : { baseline: first.id, faster: second.id });
    }
    const cheatJob = await queue(cheat);
    const { token } = await t.admin.call('createRunner', { body: { name: 'cpu-1', labels: ['cpu'] } });
    runner = await startRunner({ url: t.url, token, labels: ['cpu'], challengesDir: DEFAULT_CHALLENGES, workDir: work, pollMs: 100, log: (l) => process.env.AGORA_TEST_VERBOSE && console.error(new Date().toISOString(), l) });
    const done = [];
    for (const p of pairs) done.push({ b: await finished(p.baseline), f: await finished(p.faster) });
    const c = await finished(cheatJob.id);
    for (const j of done.flatMap((d) => [d.b, d.f])) assert.equal(j.state, 'succeeded', `${j.id}: ${j.reason ?? ''}`);
    assert.equal(c.state, 'guardrail_failed', `the cheat scored but failed a guardrail: a state of its own (${c.reason ?? ''})`);
    assert.match(c.reason!, /failed the guardrail\(s\) .*not ranked/);
    const { b, f } = done[0]!;

    // Every sample and the environment are on the result.
    assert.equal(b.result!.metric.name, 'tokens_per_second');
    assert.equal(b.result!.metric.samples.length, 3, 'one sample per repeat');
    assert.ok((b.result!.samples ?? []).length > 0, 'per-request samples are public on the public split');
    assert.equal(b.result!.environment.harnessVersion, '2.0.0');
    assert.match(String(b.result!.environment.sandbox), /^bubblewrap/);
    assert.ok(b.result!.environment.cpu, 'the CPU model is recorded');

    assert.ok(b.result!.guardrailsPassed && f.result!.guardrailsPassed, 'baseline and faster keep quality');
    assert.equal(c.result!.guardrailsPassed, false, 'the cheat is caught');
    const failed = c.result!.guardrails.filter((g) => g.passed === false).map((g) => g.name);
    assert.ok(failed.includes('decode_fidelity') || failed.includes('perplexity'), JSON.stringify(c.result!.guardrails));

    const board = await ada.call('leaderboard', { params: { collab: t.collab }, query: { split: 'public' } });
    const row = (id: number) => board.items.find((e) => e.submissionId === id)!;
    assert.equal(row(faster).rank, 1);
    assert.equal(row(baseline).rank, 2);
    assert.equal(row(cheat).rank, null, 'guardrail failures are shown but not ranked');
    assert.deepEqual(row(cheat).failedGuardrails.sort(), failed.sort());
    assert.equal(row(baseline).n, 3 * PAIRS);
    assert.equal(row(faster).n, 3 * PAIRS);

    // The paired comparison: within each pair, the faster child's median sample beats its partner's.
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const medians = done.map((d) => ({ baseline: median(d.b.result!.metric.samples), faster: median(d.f.result!.metric.samples) }));
    assert.ok(medians.every((m) => m.faster > m.baseline), `pairs (baseline, faster tokens/s): ${JSON.stringify(medians)}`);

    const results = await ada.call('submissionResults', { params: { collab: t.collab, id: faster }, query: {} });
    assert.equal(results.pools[0]!.n, 3 * PAIRS);
    assert.equal(results.items[0]!.result!.environment.runnerId, runner.runnerId);
  });
});
