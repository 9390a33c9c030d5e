// Exactly-once scoring when the server (`agora serve`, a child process on this engine's database
// from testDatabaseTarget) is killed -9 while a runner uploads a job's result: once before the
// request reaches the server, once after the server committed the result but before its answer
// reached the runner. The runner (in this process, its real sandbox) retries the very same body;
// after the restart every job has one result, one scored event, one quota charge (decision 0160).
// The runner killed mid-job (its lease runs out, another runner finishes) is runner/src/leases.test.ts.

import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Job } from '@agora/core';
import type { RunningRunner } from '@agora/runner';
import { startRunner } from '@agora/runner';
import { FIXTURES, scoring } from '@agora/runner/testing';
import { AgoraClient } from '@agora/sdk';
import { consistencyProblems, openDb } from '@agora/store';
import { sandboxSkip } from '../../runner/src/sandbox/test-gate.ts';
import { ChildServer, CutProxy } from './crash-testing.ts';

const long = process.env.AGORA_LONG_TESTS === '1';
const FINAL = ['succeeded', 'guardrail_failed', 'failed', 'errored', 'timed_out', 'cancelled'];

describe('exactly-once scoring across a server crash during the result upload', { skip: sandboxSkip() }, () => {
  const server = new ChildServer();
  const lines: string[] = [];
  let proxy: CutProxy;
  let runner: RunningRunner | undefined;
  let ada: AgoraClient;
  let collab: string;
  const challenges = join(server.tmp, 'challenges');

  before(async () => {
    await server.prepare();
    const { admin } = await server.start();
    proxy = await new CutProxy(() => server.url).listen();
    // The echo fixture with room for two server restarts: its 10 s wall limit is for the runner's own tests.
    cpSync(join(FIXTURES, 'echo'), join(challenges, 'echo'), { recursive: true });
    const yaml = join(challenges, 'echo', 'challenge.yaml');
    const text = readFileSync(yaml, 'utf8');
    assert.match(text, /wall_seconds: 10,/);
    writeFileSync(yaml, text.replace('wall_seconds: 10,', 'wall_seconds: 60,'));
    collab = await server.createCollaboration(admin, join(challenges, 'echo'));
    ada = await server.join(admin, collab, 'ada');
    const { token } = await admin.call('createRunner', { body: { name: 'behind the proxy', labels: ['cpu', 'x86'] } });
    runner = await startRunner({
      url: proxy.url, token, labels: ['cpu', 'x86'], challengesDir: challenges, workDir: join(server.tmp, 'runner'),
      pollMs: 100, heartbeatMs: 300, log: (l) => lines.push(l),
    });
  });
  after(async () => {
    await runner?.stop();
    await proxy?.close();
    await server.dispose();
  });

  /** The job once it is final; the server may be restarting meanwhile (connection errors are waited out). */
  const finished = async (id: number): Promise<Job> => {
    let job: Job | undefined;
    await server.until(`job ${id} to finish`, async () => {
      job = await ada.call('getJob', { params: { collab, id } }).catch(() => undefined);
      return !!job && FINAL.includes(job.state);
    }, 240_000);
    return job!;
  };

  for (const when of ['after', 'before'] as const) {
    // The answer lost after the commit is the case that could score twice; a kill before the request arrives is a plain retry.
    const skip = when === 'before' && !long && 'long variant: AGORA_LONG_TESTS=1';
    test(`killed ${when} the result is committed: the job is scored once`, { timeout: 300_000, skip }, async () => {
      const s = await ada.call('createSubmission', { params: { collab }, body: { title: `cut ${when}`, files: Object.entries(scoring()).map(([path, content]) => ({ path, content })) } });
      const job = await ada.call('createJob', { params: { collab }, body: { submissionId: s.submission.id, split: 'public' } });
      const quotaBefore = (await ada.call('myQuota', { params: { collab } })).used;
      await proxy.cutOnce((m, p) => m === 'POST' && p === `/v1/runner/jobs/${job.id}/result`, when, () => server.kill9());
      await server.start();
      const done = await finished(job.id);
      assert.equal(done.state, 'succeeded', `${done.reason ?? ''}\n${lines.join('\n')}`);
      const results = await ada.call('submissionResults', { params: { collab, id: s.submission.id } });
      // The public job only: a new leader also gets the verifier's private run (decision 0140), a job of its own.
      assert.deepEqual(results.items.filter((j) => j.split === 'public').map((j) => [j.id, j.state]), [[job.id, 'succeeded']]);
      const events = await ada.call('listEvents', { params: { collab }, query: { types: 'job.succeeded', limit: 1000 } });
      assert.equal(events.items.filter((e) => e.subject === `#j${job.id}`).length, 1, 'one scored event');
      // Charged when queued, never again by a retried upload.
      assert.equal((await ada.call('myQuota', { params: { collab } })).used, quotaBefore);
      // The runner learns it from its retry: the server knew first (the job was final before the retry got through).
      if (when === 'after') await server.until('the runner to see its result stand', () => lines.some((l) => l.startsWith(`job ${job.id}: result stands (result_exists after a retry`)), 240_000);
    });
  }

  test('after both crashes the database keeps every invariant', async () => {
    await runner?.stop();
    runner = undefined;
    await server.stop();
    const db = await openDb(server.database!.target);
    try {
      assert.deepEqual(await consistencyProblems(db), []);
    } finally {
      await db.close();
    }
  });
});
