// The reference CPU challenge (challenges/tiny-lm) run by the runner through a real server: the
// baseline submission is uploaded as a tar.gz, queued with one repeat, scored in the sandbox.
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
import { probeSandboxSync } from './sandbox/sandbox.ts';
import { until } from './testbed.ts';

const TINY = join(DEFAULT_CHALLENGES, 'tiny-lm');

describe('tiny-lm through the runner', { skip: !probeSandboxSync().available && 'bubblewrap cannot make a sandbox on this host' }, () => {
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

  test('the baseline scores on the public split with its guardrails passed', async () => {
    const file = join(work, 'baseline.tar.gz');
    await create({ gzip: true, file, cwd: join(TINY, 'submissions', 'baseline'), portable: true }, ['.']);
    const url = ada.path('uploadSubmission', { collab: t.collab }, { title: 'baseline' });
    const res = await fetch(url, { method: 'POST', headers: ada.headers({ 'content-type': 'application/gzip' }), body: readFileSync(file) });
    const sub = (await readResponse(res)) as { submission: { id: number } };
    const job = await ada.call('createJob', { params: { collab: t.collab }, body: { submissionId: sub.submission.id, split: 'public', repeats: 1 } });
    const { token } = await t.admin.call('createRunner', { body: { name: 'cpu-1', labels: ['cpu'] } });
    runner = await startRunner({ url: t.url, token, labels: ['cpu'], challengesDir: DEFAULT_CHALLENGES, workDir: work, pollMs: 100, log: (l) => process.env.AGORA_TEST_VERBOSE && console.error(new Date().toISOString(), l) });
    const done = await until('the tiny-lm job', async () => {
      const j = await ada.call('getJob', { params: { collab: t.collab, id: job.id } });
      return ['succeeded', 'failed', 'errored', 'timed_out'].includes(j.state) ? j : null;
    }, 120_000);
    assert.equal(done.state, 'succeeded', done.reason ?? '');
    assert.equal(done.result!.metric.name, 'tokens_per_second');
    assert.equal(done.result!.metric.samples.length, 1);
    assert.ok(done.result!.metric.samples[0]! > 0);
    assert.ok(done.result!.guardrailsPassed, JSON.stringify(done.result!.guardrails));
    assert.equal(done.result!.environment.harnessVersion, '1.0.0');
  });
});
