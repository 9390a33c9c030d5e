// The runner process against a real server (PGlite or PostgreSQL per AGORA_TEST_ENGINE), with
// the echo fixture challenge, real harness processes and the real sandbox.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readResponse } from '@agora/sdk';
import { sandboxSkip } from './sandbox/test-gate.ts';
import { Testbed, until } from './testbed.ts';

describe('agora runner against a real server', { skip: sandboxSkip() }, () => {
  const b = new Testbed();
  before(() => b.open());
  after(() => b.close());

  test('a runner scores a submission end to end; logs stream live; the result carries the fingerprint', async () => {
    const job = await b.submitJob(1500);
    const r = await b.start('r1');
    assert.ok(r.runnerId! > 0);
    // While the submission pauses between its two scores, its first line is already on the server.
    await until('a live log line', async () => {
      const j = await b.getJob(job.id);
      return j.state === 'running' && /stdout: submission: score 40/.test(await b.logText(job.id));
    });
    const done = await b.finished(job.id);
    assert.equal(done.state, 'succeeded', done.reason ?? '');
    assert.deepEqual(done.result!.metric.samples, [40, 41]);
    const env = done.result!.environment;
    assert.equal(env.runnerId, r.runnerId);
    assert.equal(env.harnessVersion, '1.0.0');
    assert.match(String(env.sandbox), /bubblewrap/);
    assert.equal(typeof env.cpu, 'string');
    assert.equal(await b.resultCount(job.id), 1);
    const log = await b.logText(job.id);
    assert.match(log, /runner: \[runner\] bundle unpacked/);
    assert.match(log, /stdout: echo harness: split public, 2 repeats/);
    await r.stop();
  });

  test('two runners claim distinct jobs; each job gets exactly one result', async () => {
    const bob = await b.t.join('bob');
    const jobs = [await b.submitJob(1200), await b.submitJob(1200, {}, bob)];
    const [x, y] = [await b.start('r2a'), await b.start('r2b')];
    const done = await Promise.all(jobs.map((j) => b.finished(j.id)));
    for (const d of done) assert.equal(d.state, 'succeeded', d.reason ?? '');
    const ran = done.map((d) => d.attempts.map((a) => a.runnerId));
    assert.deepEqual(ran.map((a) => a.length), [1, 1], 'one attempt each');
    assert.notEqual(ran[0]![0], ran[1]![0], 'the two jobs ran on different runners');
    assert.deepEqual(new Set(ran.flat()), new Set([x.runnerId, y.runnerId]));
    for (const j of jobs) assert.equal(await b.resultCount(j.id), 1);
    await Promise.all([x.stop(), y.stop()]);
  });

  test('large artifacts reach the submission at their declared paths', async () => {
    const collab = b.t.collab;
    const res = await fetch(b.ada.path('uploadArtifact', { collab }, {}), {
      method: 'POST', headers: b.ada.headers({ 'content-type': 'application/octet-stream' }), body: 'score 77\nscore 78\n',
    });
    const art = (await readResponse(res)) as { sha256: string };
    const files = [
      { path: 'agora.json', content: JSON.stringify({ command: ['node', 'main.js'] }) },
      { path: 'main.js', content: 'process.stdout.write(require("fs").readFileSync("weights/scores.txt", "utf8"))' },
    ];
    const s = await b.ada.call('createSubmission', { params: { collab }, body: { title: 'with weights', files, artifacts: [{ path: 'weights/scores.txt', sha256: art.sha256 }] } });
    const job = await b.ada.call('createJob', { params: { collab }, body: { submissionId: s.submission.id, split: 'public' } });
    const r = await b.start('r-art');
    const done = await b.finished(job.id);
    assert.equal(done.state, 'succeeded', done.reason ?? '');
    assert.deepEqual(done.result!.metric.samples, [77, 78]);
    await r.stop();
  });

  test('a cancel request kills the harness and the job ends cancelled', async () => {
    const job = await b.submitJob(0, { mode: 'hang' });
    const r = await b.start('r3');
    await until('the harness to run', async () => /still thinking/.test(await b.logText(job.id)));
    const t0 = Date.now();
    await b.ada.call('cancelJob', { params: { collab: b.t.collab, id: job.id }, body: {} });
    const done = await b.finished(job.id);
    assert.equal(done.state, 'cancelled');
    assert.ok(Date.now() - t0 < 8000, 'stopped well before the 40 s harness limit');
    assert.equal(await b.resultCount(job.id), 0);
    await r.stop();
  });

  test('smoke runs: free, marked, never a result; a failing server says why; a few a day (decision 0180)', async () => {
    const collab = b.t.collab;
    const carl = await b.t.join('carl');
    const files = (main: string) => [{ path: 'agora.json', content: JSON.stringify({ command: ['node', 'main.js'] }) }, { path: 'main.js', content: main }];
    const good = await carl.call('createSubmission', { params: { collab }, body: { title: 'smoke ok', files: files('console.log("score 5")') } });
    const bad = await carl.call('createSubmission', { params: { collab }, body: { title: 'smoke bad', files: files('process.exit(4)') } });
    const quota = await carl.call('myQuota', { params: { collab } });
    const [j1, j2] = [await carl.call('smokeRun', { params: { collab, id: good.submission.id } }), await carl.call('smokeRun', { params: { collab, id: bad.submission.id } })];
    assert.deepEqual([j1.smoke, j1.charged, j1.sponsor, j1.repeats], [true, false, null, 1]);
    const r = await b.start('r-smoke');
    const [d1, d2] = await Promise.all([b.finished(j1.id), b.finished(j2.id)]);
    assert.equal(d1.state, 'succeeded', d1.reason ?? '');
    assert.match(d1.reason!, /^smoke run passed on .*: the submission started and printed 1 score line\(s\) \(nothing measured, never ranked, not charged\)/);
    assert.equal(d1.result, null);
    assert.match(await b.logText(j1.id), /echo harness: split public, smoke run/);
    assert.equal(d2.state, 'failed');
    assert.match(d2.reason!, /exited with code 4/);
    for (const j of [j1, j2]) assert.equal(await b.resultCount(j.id), 0, 'a smoke run writes no result');
    assert.equal((await carl.call('myQuota', { params: { collab } })).used, quota.used, 'nothing charged');
    const lb = await carl.call('leaderboard', { params: { collab }, query: {} });
    assert.ok(!lb.items.some((e) => e.submissionId === good.submission.id), 'never on the leaderboard');
    const events = await carl.call('listEvents', { params: { collab }, query: { types: 'job.succeeded', limit: 1000 } });
    assert.ok(events.items.some((e) => (e.payload as { jobId: number; smoke?: boolean }).jobId === j1.id && (e.payload as { smoke?: boolean }).smoke === true), 'its events say smoke');
    // The echo challenge offers two a day.
    await assert.rejects(carl.call('smokeRun', { params: { collab, id: good.submission.id } }), (e: Error & { status?: number; code?: string }) => e.status === 429 && e.code === 'rate_limited' && /smoke runs used up: 2 of 2/.test(e.message));
    await r.stop();
  });
});
