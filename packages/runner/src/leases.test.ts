// Runners that die, come back late, have no sandbox or a revoked token, against a real server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AgoraApiError } from '@agora/sdk';
import { consistencyProblems } from '@agora/store';
import { sweepOnce } from '../../server/src/sweeper.ts';
import { startRunner } from './runner.ts';
import { killPids, processTree } from './sandbox/proctree.ts';
import { sandboxSkip } from './sandbox/test-gate.ts';
import { Testbed, until } from './testbed.ts';
import { FIXTURES } from './testing.ts';

const CLI = join(import.meta.dirname, 'cli.ts');

describe('leases, dead runners and refusals', { skip: sandboxSkip() }, () => {
  const b = new Testbed();
  before(() => b.open());
  after(() => b.close());

  test('a runner killed mid-job loses its lease; another runner finishes it with exactly one result', async () => {
    const job = await b.submitJob(2500);
    const { token } = await b.newRunner('doomed');
    const child = spawn(process.execPath, [CLI, '--server', b.t.url, '--token', token, '--labels', 'cpu', '--challenges', FIXTURES, '--work', join(b.work, 'doomed'), '--poll-ms', '100'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let childLog = '';
    child.stderr.on('data', (c) => (childLog += c));
    try {
      // Generous: four Node processes start before the submission prints (runner, harness, exec.ts, the submission).
      await until('the job to run on the child runner', async () => /score 40/.test(await b.logText(job.id)), 120_000);
    } catch (e) {
      killPids(processTree(child.pid!).map((p) => p.pid)); // a runner left behind would take the next tests' jobs
      throw new Error(`${(e as Error).message}\n--- child runner ---\n${childLog}`);
    }
    // The host dies: the runner and everything it started.
    const exited = new Promise((r) => child.once('exit', r));
    killPids(processTree(child.pid!).map((p) => p.pid));
    await exited;
    assert.equal((await b.getJob(job.id)).state, 'running', 'the server cannot know yet');
    // The lease (60 s) runs out and the sweeper re-queues the job.
    await b.expireLease(job.id);
    const swept = await sweepOnce(b.t.testDb.db);
    assert.ok(swept.requeued.includes(job.id) || (await b.getJob(job.id)).state !== 'running', childLog);
    const r = await b.start('rescuer');
    const done = await b.finished(job.id);
    assert.equal(done.state, 'succeeded', done.reason ?? '');
    assert.equal(done.attempts.length, 2);
    assert.equal(done.attempts[0]!.outcome, 'lease_lost');
    assert.equal(done.attempts[1]!.runnerId, r.runnerId);
    assert.equal(await b.resultCount(job.id), 1);
    // Scored once: one scored event, one quota charge, every invariant of a committed state.
    assert.equal((await b.ada.call('myQuota', { params: { collab: b.t.collab } })).used, 1);
    assert.deepEqual(await consistencyProblems(b.t.testDb.db), []);
    await r.stop();
  });

  test('a presumed-dead runner that comes back cannot write a second result', async () => {
    const job = await b.submitJob(0);
    const ghost = await b.newRunner('ghost');
    const ghostClient = b.ada.withKey(ghost.token);
    const claim = (await ghostClient.call('claimJob', { body: { labels: ['cpu'] } })).job!;
    assert.equal(claim.jobId, job.id);
    await b.expireLease(job.id);
    await sweepOnce(b.t.testDb.db);
    const r = await b.start('r5');
    assert.equal((await b.finished(job.id)).state, 'succeeded');
    await r.stop();
    await assert.rejects(
      ghostClient.call('submitJobResult', { params: { id: job.id }, body: { leaseToken: claim.leaseToken, outcome: 'errored', reason: 'back from the dead', environment: { cpu: 'x' } } }),
      (e: unknown) => e instanceof AgoraApiError && e.status === 409 && ['result_exists', 'lease_lost'].includes(e.code),
    );
    assert.equal((await b.getJob(job.id)).state, 'succeeded');
    assert.equal(await b.resultCount(job.id), 1);
  });

  test('a runner without a sandbox refuses the job (errored, re-queued); with the opt-out it runs it, loudly', async () => {
    const none = { available: false, kind: 'none' as const, reason: 'bubblewrap (bwrap) is not installed' };
    const job = await b.submitJob(0);
    const bare = await b.start('bare', { sandboxProbe: none });
    assert.ok(b.lines.some((l) => /^bare: .*no sandbox/.test(l)));
    const refused = await until('the refusal', async () => {
      const j = await b.getJob(job.id);
      return j.attempts.length >= 1 && j.attempts[0]!.outcome ? j : null;
    });
    assert.match(refused.attempts[0]!.reason ?? '', /runner has no sandbox/);
    // It refuses once, then backs off instead of burning the job's other attempts.
    await new Promise((r) => setTimeout(r, 600));
    const waiting = await b.getJob(job.id);
    assert.equal(waiting.state, 'queued');
    assert.equal(waiting.attempts.length, 1);
    assert.ok(b.lines.some((l) => /^bare: .*not claiming for 600 s/.test(l)));
    await bare.stop();
    const brave = await b.start('brave', { sandboxProbe: none, allowUnsandboxed: true });
    assert.ok(b.lines.some((l) => /^brave: [\s\S]*AGORA RUNNER WITHOUT A SANDBOX/.test(l)), 'a loud banner at start');
    const done = await b.finished(job.id);
    assert.equal(done.state, 'succeeded', done.reason ?? '');
    assert.equal(done.result!.environment.sandbox, 'none (unsandboxed opt-out)');
    assert.equal(done.attempts.length, 2);
    assert.match(await b.logText(job.id), /NO SANDBOX/);
    await brave.stop();
  });

  test('a revoked token is refused at start', async () => {
    const { token, runnerId } = await b.newRunner('revoked');
    await b.t.admin.call('revokeRunner', { params: { id: runnerId } });
    await assert.rejects(
      startRunner({ url: b.t.url, token, labels: ['cpu'], challengesDir: FIXTURES, workDir: join(b.work, 'revoked'), log: () => {} }),
      (e: unknown) => e instanceof AgoraApiError && e.status === 401,
    );
  });
});
