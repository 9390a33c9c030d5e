// The runner process against a real server (PGlite or PostgreSQL per AGORA_TEST_ENGINE), with
// the echo fixture challenge, real harness processes and the real sandbox.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Job } from '@agora/core';
import { AgoraApiError, type AgoraClient } from '@agora/sdk';
import { sweepOnce } from '../../server/src/sweeper.ts';
import { startTestServer, type TestServer } from '../../server/src/testing.ts';
import { FIXTURES } from './testing.ts';
import { startRunner, type RunningRunner } from './runner.ts';
import { killPids, processTree } from './sandbox/proctree.ts';
import { probeSandboxSync } from './sandbox/sandbox.ts';

const sandbox = probeSandboxSync();
const work = mkdtempSync(join(tmpdir(), 'agora-runner-test-'));
const CLI = join(import.meta.dirname, 'cli.ts');

/** main.js: prints `score 40`, waits `pauseMs`, prints `score 41`. */
const submissionFiles = (pauseMs = 0, extra: Record<string, string> = {}) =>
  Object.entries({
    'agora.json': JSON.stringify({ command: ['node', 'main.js'] }),
    'main.js': `console.log("score 40"); setTimeout(() => console.log("score 41"), ${pauseMs});`,
    ...extra,
  }).map(([path, content]) => ({ path, content }));

const until = async <T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('agora runner against a real server', { skip: !sandbox.available && 'bubblewrap cannot make a sandbox on this host' }, () => {
  let t: TestServer;
  let ada: AgoraClient;
  const runners: RunningRunner[] = [];
  const lines: string[] = [];

  before(async () => {
    t = await startTestServer({ challengeDir: join(FIXTURES, 'echo') });
    ada = await t.join('ada');
  });
  after(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  const submitJob = async (pauseMs = 0, extra: Record<string, string> = {}, who = ada) => {
    const s = await who.call('createSubmission', { params: { collab: t.collab }, body: { title: `pause ${pauseMs}`, files: submissionFiles(pauseMs, extra) } });
    return who.call('createJob', { params: { collab: t.collab }, body: { submissionId: s.submission.id, split: 'public' } });
  };
  const getJob = (id: number) => ada.call('getJob', { params: { collab: t.collab, id } });
  const finished = (id: number) => until(`job ${id} to finish`, async () => {
    const j = await getJob(id);
    return ['succeeded', 'failed', 'errored', 'timed_out', 'cancelled'].includes(j.state) && j;
  });
  const logText = async (id: number) => (await ada.call('jobLogs', { params: { collab: t.collab, id } })).items.map((l) => `${l.stream}: ${l.text}`).join('\n');
  const resultCount = async (id: number) => (await t.testDb.db.query<{ n: number }>('select count(*)::int as n from results where job_id = $1', [id]))[0]!.n;
  const newRunner = (name: string) => t.admin.call('createRunner', { body: { name, labels: ['cpu', 'x86'] } });
  const start = async (name: string, opts: { sandboxProbe?: typeof sandbox; allowUnsandboxed?: boolean } = {}) => {
    const { token } = await newRunner(name);
    const r = await startRunner({
      url: t.url, token, labels: ['cpu', 'x86'], challengesDir: FIXTURES, workDir: join(work, name),
      pollMs: 100, heartbeatMs: 300, log: (l) => lines.push(`${name}: ${l}`), ...opts,
    });
    runners.push(r);
    return r;
  };

  test('a runner scores a submission end to end; logs stream live; the result carries the fingerprint', async () => {
    const job = await submitJob(1500);
    const r = await start('r1');
    assert.ok(r.runnerId! > 0);
    // While the submission pauses between its two scores, its first line is already on the server.
    await until('a live log line', async () => {
      const j = await getJob(job.id);
      return j.state === 'running' && /stdout: submission: score 40/.test(await logText(job.id));
    });
    const done = await finished(job.id);
    assert.equal(done.state, 'succeeded', done.reason ?? '');
    assert.deepEqual(done.result!.metric.samples, [40, 41]);
    const env = done.result!.environment;
    assert.equal(env.runnerId, r.runnerId);
    assert.equal(env.harnessVersion, '1.0.0');
    assert.match(String(env.sandbox), /bubblewrap/);
    assert.equal(typeof env.cpu, 'string');
    assert.equal(await resultCount(job.id), 1);
    const log = await logText(job.id);
    assert.match(log, /runner: \[runner\] bundle unpacked/);
    assert.match(log, /stdout: echo harness: split public, 2 repeats/);
    await r.stop();
  });

  test('two runners claim distinct jobs; each job gets exactly one result', async () => {
    const bob = await t.join('bob');
    const jobs = [await submitJob(1200), await submitJob(1200, {}, bob)];
    const [a, b] = [await start('r2a'), await start('r2b')];
    const done = await Promise.all(jobs.map((j) => finished(j.id)));
    for (const d of done) assert.equal(d.state, 'succeeded', d.reason ?? '');
    const ran = done.map((d) => d.attempts.map((x) => x.runnerId));
    assert.deepEqual(ran.map((x) => x.length), [1, 1], 'one attempt each');
    assert.notEqual(ran[0]![0], ran[1]![0], 'the two jobs ran on different runners');
    assert.deepEqual(new Set(ran.flat()), new Set([a.runnerId, b.runnerId]));
    for (const j of jobs) assert.equal(await resultCount(j.id), 1);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('a cancel request kills the harness and the job ends cancelled', async () => {
    const job = await submitJob(0, { mode: 'hang' });
    const r = await start('r3');
    await until('the harness to run', async () => /still thinking/.test(await logText(job.id)));
    const t0 = Date.now();
    await ada.call('cancelJob', { params: { collab: t.collab, id: job.id }, body: {} });
    const done = await finished(job.id);
    assert.equal(done.state, 'cancelled');
    assert.ok(Date.now() - t0 < 8000, 'stopped well before the 12 s harness limit');
    assert.equal(await resultCount(job.id), 0);
    await r.stop();
  });

  test('a runner killed mid-job loses its lease; another runner finishes it with exactly one result', async () => {
    const job = await submitJob(2500);
    const { token } = await newRunner('doomed');
    const child = spawn(process.execPath, [CLI, '--server', t.url, '--token', token, '--labels', 'cpu', '--challenges', FIXTURES, '--work', join(work, 'doomed'), '--poll-ms', '100'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let childLog = '';
    child.stderr.on('data', (c) => (childLog += c));
    await until('the job to run on the child runner', async () => /score 40/.test(await logText(job.id)));
    // The host dies: the runner and everything it started.
    const tree = processTree(child.pid!).map((p) => p.pid);
    const exited = new Promise((r) => child.once('exit', r));
    killPids(tree);
    await exited;
    assert.equal((await getJob(job.id)).state, 'running', 'the server cannot know yet');
    // Sixty seconds pass: the lease runs out and the sweeper re-queues the job.
    await t.testDb.db.query(`update jobs set lease_expires_at = now() - interval '1 second' where id = $1`, [job.id]);
    const swept = await sweepOnce(t.testDb.db);
    const requeued = await getJob(job.id);
    assert.ok(swept.requeued.includes(job.id) || requeued.state !== 'running', childLog);
    const r = await start('rescuer');
    const done = await finished(job.id);
    assert.equal(done.state, 'succeeded', done.reason ?? '');
    assert.equal(done.attempts.length, 2);
    assert.equal(done.attempts[0]!.outcome, 'lease_lost');
    assert.equal(done.attempts[1]!.runnerId, r.runnerId);
    assert.equal(await resultCount(job.id), 1);
    await r.stop();
  });

  test('a presumed-dead runner that comes back cannot write a second result', async () => {
    const job = await submitJob(0);
    const ghost = await newRunner('ghost');
    const ghostClient = ada.withKey(ghost.token);
    const claim = (await ghostClient.call('claimJob', { body: { labels: ['cpu'] } })).job!;
    assert.equal(claim.jobId, job.id);
    await t.testDb.db.query(`update jobs set lease_expires_at = now() - interval '1 second' where id = $1`, [job.id]);
    await sweepOnce(t.testDb.db);
    const r = await start('r5');
    assert.equal((await finished(job.id)).state, 'succeeded');
    await r.stop();
    await assert.rejects(
      ghostClient.call('submitJobResult', { params: { id: job.id }, body: { leaseToken: claim.leaseToken, outcome: 'errored', reason: 'back from the dead', environment: { cpu: 'x' } } }),
      (e: unknown) => e instanceof AgoraApiError && e.status === 409 && ['result_exists', 'lease_lost'].includes(e.code),
    );
    const j: Job = await getJob(job.id);
    assert.equal(j.state, 'succeeded');
    assert.equal(await resultCount(job.id), 1);
  });

  test('a runner without a sandbox refuses the job (errored, re-queued); with the opt-out it runs it, loudly', async () => {
    const none = { available: false, kind: 'none' as const, reason: 'bubblewrap (bwrap) is not installed' };
    const job = await submitJob(0);
    lines.length = 0;
    const bare = await start('bare', { sandboxProbe: none });
    assert.ok(lines.some((l) => /no sandbox/.test(l)));
    const requeued = await until('the refusal', async () => {
      const j = await getJob(job.id);
      return j.attempts.length >= 1 && j.attempts[0]!.outcome ? j : null;
    });
    await bare.stop();
    assert.match(requeued.attempts[0]!.reason ?? '', /runner has no sandbox/);
    const brave = await start('brave', { sandboxProbe: none, allowUnsandboxed: true });
    assert.ok(lines.some((l) => /AGORA RUNNER WITHOUT A SANDBOX/.test(l)), 'a loud banner at start');
    const done = await finished(job.id);
    assert.equal(done.state, 'succeeded', done.reason ?? '');
    assert.equal(done.result!.environment.sandbox, 'none (unsandboxed opt-out)');
    assert.match(await logText(job.id), /NO SANDBOX/);
    await brave.stop();
  });

  test('a revoked or wrong token is refused at start', async () => {
    const { token, runnerId } = await newRunner('revoked');
    await t.admin.call('revokeRunner', { params: { id: runnerId } });
    await assert.rejects(
      startRunner({ url: t.url, token, labels: ['cpu'], challengesDir: FIXTURES, workDir: join(work, 'revoked'), log: () => {} }),
      (e: unknown) => e instanceof AgoraApiError && e.status === 401,
    );
  });
});
