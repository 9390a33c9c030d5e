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
    assert.ok(Date.now() - t0 < 8000, 'stopped well before the 12 s harness limit');
    assert.equal(await b.resultCount(job.id), 0);
    await r.stop();
  });
});
