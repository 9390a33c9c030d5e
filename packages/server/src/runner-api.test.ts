import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventsOf } from '@agora/core';
import { AgoraClient } from '@agora/sdk';
import { ENV, harnessResult, insertSubmission, newRunner, rejects } from './jobs.fixtures.ts';
import { sweepOnce } from './sweeper.ts';
import { startTestServer, type TestServer } from './testing.ts';

describe('runner API: tokens, claims, leases, logs, exactly-once results', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  const db = () => t.testDb.db;
  const clearQueue = () => db().query(`update jobs set state = 'cancelled', finished_at = now() where state = 'queued'`);
  const expireLease = (id: number) => db().query(`update jobs set lease_expires_at = now() - interval '1 second' where id = $1`, [id]);
  const create = (c: AgoraClient, submissionId: number) => c.call('createJob', { params: { collab: t.collab }, body: { submissionId, split: 'public' } });

  test('runner tokens: only on runner routes; participants\' keys are not runner tokens; revoked tokens stop working', async () => {
    const ada = await t.join('ada');
    await rejects(ada.call('createRunner', { body: { name: 'mine', labels: ['cpu'], collaborations: null } }), 403, 'forbidden');
    await rejects(ada.call('createRunner', { body: { name: 'mine', labels: ['cpu'], collaborations: [t.collab] } }), 403, 'forbidden');
    await rejects(ada.call('claimJob', { body: { labels: ['cpu'] } }), 401, 'unauthorized');
    const r = await newRunner(t, ['cpu'], 'tok');
    assert.match(r.token, /^agora_runner_\d+_[A-Za-z0-9_-]{43}$/);
    const [row] = await db().query<{ token_hash: string }>('select token_hash from runners where id = $1', [r.id]);
    assert.ok(!r.token.includes(row!.token_hash), 'stored hashed');
    await rejects(r.client.call('me'), 401, 'unauthorized');
    await rejects(r.client.call('listJobs', { params: { collab: t.collab } }), 401, 'unauthorized');
    const forged = new AgoraClient({ url: t.url, apiKey: r.token.slice(0, -4) + 'AAAA' });
    await rejects(forged.call('claimJob', { body: { labels: ['cpu'] } }), 401, 'unauthorized');
    await rejects(new AgoraClient({ url: t.url, apiKey: 'agora_runner_99999999999_' + 'A'.repeat(43) }).call('claimJob', { body: { labels: ['cpu'] } }), 401, 'unauthorized');
    const list = await t.admin.call('listRunners');
    assert.ok(list.items.some((x) => x.id === r.id && x.name === 'tok'));
    await t.admin.call('revokeRunner', { params: { id: r.id } });
    await rejects(r.client.call('claimJob', { body: { labels: ['cpu'] } }), 401, 'unauthorized');
    // An organizer may add a runner to their own collaboration.
    const org = await t.join('org2', 'organizer');
    const own = await org.call('createRunner', { body: { name: 'org-runner', labels: ['cpu'], collaborations: [t.collab] } });
    assert.ok(own.runnerId > 0);
  });

  test('a job runs end to end: claim, heartbeat, live logs, result; every change an event; labels are respected', async () => {
    const bob = await t.join('bob');
    const sub = await insertSubmission(t, bob, { artifact: Buffer.from('weights!') });
    const job = await create(bob, sub);
    const gpuOnly = await newRunner(t, ['gpu'], 'gpu-only');
    assert.equal((await gpuOnly.client.call('claimJob', { body: { labels: ['gpu', 'cpu'] } })).job, null, 'registered labels bound what a runner may claim');
    const r = await newRunner(t, ['cpu'], 'cpu-1');
    await r.client.call('runnerHeartbeat', { body: { labels: ['cpu'], environment: ENV, activeJobs: [] } });
    const queued = await bob.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(queued.queuePosition, 1);
    assert.equal(typeof queued.waitEstimateSeconds, 'number');
    const { job: c } = await r.client.call('claimJob', { body: { labels: ['cpu'] } });
    assert.ok(c);
    assert.equal(c.jobId, job.id);
    assert.equal(c.attempt, 1);
    assert.equal(c.challengeId, 'fixture');
    assert.equal(c.repeats, 3);
    assert.equal(c.leaseSeconds, 60);
    assert.deepEqual(c.artifacts.map((a) => a.path), ['weights/model.bin']);
    // Bundle and artifact need the lease.
    const bundle = await r.client.raw(`${c.bundlePath}?leaseToken=${encodeURIComponent(c.leaseToken)}`);
    assert.equal(bundle.status, 200);
    const bytes = Buffer.from(await bundle.arrayBuffer());
    assert.deepEqual([bytes[0], bytes[1]], [0x1f, 0x8b], 'a gzip stream');
    assert.equal(bundle.headers.get('x-agora-sha256'), c.bundleSha256);
    const badBundle = await r.client.raw(`${c.bundlePath}?leaseToken=${'x'.repeat(43)}`);
    assert.equal(badBundle.status, 409);
    const art = await r.client.raw(r.client.path('jobArtifact', { sha256: c.artifacts[0]!.sha256 }, { jobId: c.jobId, leaseToken: c.leaseToken }).slice(t.url.length));
    assert.equal(Buffer.from(await art.arrayBuffer()).toString(), 'weights!');
    const other = await r.client.raw(r.client.path('jobArtifact', { sha256: c.bundleSha256 }, { jobId: c.jobId, leaseToken: c.leaseToken }).slice(t.url.length));
    assert.equal(other.status, 404, 'only artifacts the submission refers to');

    const hb = await r.client.call('jobHeartbeat', { params: { id: c.jobId }, body: { leaseToken: c.leaseToken } });
    assert.equal(hb.cancelRequested, false);
    assert.ok(Date.parse(hb.leaseExpiresAt) >= Date.parse(c.leaseExpiresAt));
    // Live logs: a reader following the stream sees lines as they are appended, then the end.
    const stream = await fetch(`${t.url}/v1/collaborations/${t.collab}/jobs/${c.jobId}/logs/stream`, { headers: { authorization: `Bearer ${bob.apiKey}` } });
    assert.equal(stream.status, 200);
    await r.client.call('appendJobLogs', { params: { id: c.jobId }, body: { leaseToken: c.leaseToken, lines: [{ stream: 'stdout', text: 'loading model <b>\u0000ok' }, { stream: 'harness', text: 'repeat 1: 10.5' }] } });
    await rejects(r.client.call('appendJobLogs', { params: { id: c.jobId }, body: { leaseToken: c.leaseToken, lines: Array(5).fill({ stream: 'stdout', text: 'x'.repeat(16_000) }) } }), 413, 'payload_too_large');
    await r.client.call('submitJobResult', { params: { id: c.jobId }, body: { leaseToken: c.leaseToken, outcome: 'succeeded', result: harnessResult('public', [10.5, 11, 10]), environment: ENV } });
    const text = await stream.text();
    assert.match(text, /event: log\ndata: \{"seq":3,"stream":"stdout".*\}\nid: 3\n/);
    assert.ok(text.includes('repeat 1: 10.5'));
    assert.match(text, /event: end\ndata: \{"state":"succeeded"\}/);
    const logs = await bob.call('jobLogs', { params: { collab: t.collab, id: c.jobId } });
    assert.ok(logs.done);
    assert.ok(logs.items.some((l) => l.text === 'loading model <b>\uFFFDok'));
    const later = await bob.call('jobLogs', { params: { collab: t.collab, id: c.jobId }, query: { after: logs.items[1]!.seq } });
    assert.deepEqual(later.items.map((l) => l.seq), logs.items.slice(2).map((l) => l.seq));

    const done = await bob.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(done.state, 'succeeded');
    assert.equal(done.result!.hardwareClass, 'cpu:amd epyc 7r32');
    assert.equal(done.result!.environment.runnerId, r.id, 'the fingerprint names the runner, whatever the body said');
    assert.equal(done.result!.environment.cpu, 'AMD EPYC 7R32');
    assert.equal(done.attempts.length, 1);
    const events = await bob.call('listEvents', { params: { collab: t.collab }, query: { types: 'job.queued,job.started,job.succeeded' } });
    assert.deepEqual(eventsOf(events.items, 'job.queued', 'job.started', 'job.succeeded').filter((e) => e.payload.jobId === job.id).map((e) => e.type), ['job.queued', 'job.started', 'job.succeeded']);
  });

  test('a runner that dies loses its lease; another finishes the job; exactly one result; the stale runner is refused', async () => {
    await clearQueue();
    const cy = await t.join('cy');
    const sub = await insertSubmission(t, cy);
    const job = await create(cy, sub);
    const a = await newRunner(t, ['cpu'], 'dies');
    const b = await newRunner(t, ['cpu'], 'survives');
    const { job: ca } = await a.client.call('claimJob', { body: { labels: ['cpu'] } });
    assert.equal(ca!.jobId, job.id);
    assert.equal((await b.client.call('claimJob', { body: { labels: ['cpu'] } })).job, null, 'a running job is not claimed twice');
    await expireLease(job.id);
    await sweepOnce(db());
    const requeued = await cy.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(requeued.state, 'queued');
    assert.match(requeued.reason!, /runner dies stopped heartbeating .* re-queued for attempt 2 of 3/);
    assert.equal(requeued.refunded, false);
    const { job: cb } = await b.client.call('claimJob', { body: { labels: ['cpu'] } });
    assert.equal(cb!.jobId, job.id);
    assert.equal(cb!.attempt, 2);
    // The presumed-dead runner comes back.
    await rejects(a.client.call('jobHeartbeat', { params: { id: job.id }, body: { leaseToken: ca!.leaseToken } }), 409, 'lease_lost');
    await rejects(a.client.call('appendJobLogs', { params: { id: job.id }, body: { leaseToken: ca!.leaseToken, lines: [{ stream: 'stdout', text: 'late' }] } }), 409, 'lease_lost');
    await rejects(a.client.call('submitJobResult', { params: { id: job.id }, body: { leaseToken: ca!.leaseToken, outcome: 'succeeded', result: harnessResult('public', [999]), environment: ENV } }), 409, 'lease_lost');
    const beat = await a.client.call('runnerHeartbeat', { body: { labels: ['cpu'], environment: ENV, activeJobs: [job.id] } });
    assert.deepEqual(beat.cancel, [job.id], 'the heartbeat tells it to abort');
    const ok = await b.client.call('submitJobResult', { params: { id: job.id }, body: { leaseToken: cb!.leaseToken, outcome: 'succeeded', result: harnessResult('public', [5, 6, 7]), environment: ENV } });
    assert.deepEqual(ok, { jobId: job.id, state: 'succeeded', requeued: false });
    await rejects(a.client.call('submitJobResult', { params: { id: job.id }, body: { leaseToken: ca!.leaseToken, outcome: 'succeeded', result: harnessResult('public', [999]), environment: ENV } }), 409, 'result_exists');
    await rejects(b.client.call('submitJobResult', { params: { id: job.id }, body: { leaseToken: cb!.leaseToken, outcome: 'failed', environment: ENV } }), 409, 'result_exists');
    const results = await db().query<{ samples: number[] }>('select samples from results where job_id = $1', [job.id]);
    assert.deepEqual(results.map((x) => x.samples), [[5, 6, 7]]);
    const done = await cy.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.deepEqual(done.attempts.map((x) => [x.attempt, x.runnerName, x.outcome]), [[1, 'dies', 'lease_lost'], [2, 'survives', 'succeeded']]);
    const events = await cy.call('listEvents', { params: { collab: t.collab }, query: { types: 'job.started,job.requeued,job.succeeded' } });
    assert.deepEqual(eventsOf(events.items, 'job.started', 'job.requeued', 'job.succeeded').filter((e) => e.payload.jobId === job.id).map((e) => e.type), ['job.started', 'job.requeued', 'job.started', 'job.succeeded']);
  });

  test('concurrent claims hand each job to one runner', async () => {
    await clearQueue();
    const dee = await t.join('dee');
    const sub = await insertSubmission(t, dee);
    for (let i = 0; i < 4; i++) await create(dee, sub);
    const runners = await Promise.all(Array.from({ length: 6 }, (_, i) => newRunner(t, ['cpu'], `race-${i}`)));
    const claims = await Promise.all(runners.map((r) => r.client.call('claimJob', { body: { labels: ['cpu'] } })));
    const ids = claims.map((c) => c.job?.jobId).filter((x) => x !== undefined);
    assert.equal(ids.length, 4);
    assert.equal(new Set(ids).size, 4);
  });

  test('infrastructure errors are retried, then errored for good and refunded, with the reason', async () => {
    await clearQueue();
    const eve = await t.join('eve');
    const sub = await insertSubmission(t, eve);
    const job = await create(eve, sub);
    const r = await newRunner(t, ['cpu'], 'flaky');
    for (let attempt = 1; attempt <= 3; attempt++) {
      const { job: c } = await r.client.call('claimJob', { body: { labels: ['cpu'] } });
      assert.equal(c!.attempt, attempt);
      const res = await r.client.call('submitJobResult', { params: { id: c!.jobId }, body: { leaseToken: c!.leaseToken, outcome: 'errored', reason: 'docker daemon not reachable', environment: ENV } });
      assert.equal(res.requeued, attempt < 3);
    }
    const got = await eve.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(got.state, 'errored');
    assert.equal(got.refunded, true);
    assert.match(got.reason!, /errored on all 3 attempts \(last: docker daemon not reachable\); the quota is refunded/);
    assert.equal((await eve.call('myQuota', { params: { collab: t.collab } })).used, 0);
    // A result that does not match the job is refused, not half-written.
    const again = await eve.call('rerunJob', { params: { collab: t.collab, id: job.id } });
    const { job: c } = await r.client.call('claimJob', { body: { labels: ['cpu'] } });
    assert.equal(c!.jobId, again.id);
    await rejects(r.client.call('submitJobResult', { params: { id: c!.jobId }, body: { leaseToken: c!.leaseToken, outcome: 'succeeded', environment: ENV } }), 422, 'unprocessable');
    await rejects(r.client.call('submitJobResult', { params: { id: c!.jobId }, body: { leaseToken: c!.leaseToken, outcome: 'succeeded', result: harnessResult('private', [1]), environment: ENV } }), 422, 'unprocessable');
    assert.equal((await eve.call('getJob', { params: { collab: t.collab, id: again.id } })).state, 'running');
  });

  test('cancel: a running job is asked to stop through the heartbeat and stays charged; a silent runner is caught by the sweeper', async () => {
    await clearQueue();
    const fay = await t.join('fay');
    const sub = await insertSubmission(t, fay);
    const j1 = await create(fay, sub);
    const j2 = await create(fay, sub);
    const r = await newRunner(t, ['cpu'], 'canceller');
    const { job: c1 } = await r.client.call('claimJob', { body: { labels: ['cpu'] } });
    const { job: c2 } = await r.client.call('claimJob', { body: { labels: ['cpu'] } });
    assert.deepEqual([c1!.jobId, c2!.jobId].sort(), [j1.id, j2.id].sort());
    for (const id of [j1.id, j2.id]) {
      const asked = await fay.call('cancelJob', { params: { collab: t.collab, id }, body: {} });
      assert.equal(asked.state, 'running');
      assert.equal(asked.cancelRequested, true);
    }
    const hb = await r.client.call('jobHeartbeat', { params: { id: c1!.jobId }, body: { leaseToken: c1!.leaseToken } });
    assert.equal(hb.cancelRequested, true);
    const beat = await r.client.call('runnerHeartbeat', { body: { labels: ['cpu'], environment: ENV, activeJobs: [j1.id, j2.id] } });
    assert.deepEqual(beat.cancel.sort(), [j1.id, j2.id].sort());
    await r.client.call('submitJobResult', { params: { id: c1!.jobId }, body: { leaseToken: c1!.leaseToken, outcome: 'errored', reason: 'killed on request', environment: ENV } });
    await expireLease(c2!.jobId);
    await sweepOnce(db());
    for (const id of [j1.id, j2.id]) {
      const got = await fay.call('getJob', { params: { collab: t.collab, id } });
      assert.equal(got.state, 'cancelled');
      assert.equal(got.refunded, false, 'it had started: charged');
    }
  });

  test('fair claims: one participant\'s ten jobs do not starve another\'s one; running past the wall limit is timed out', async () => {
    await clearQueue();
    const gus = await t.join('gus');
    const hal = await t.join('hal');
    const gs = await insertSubmission(t, gus);
    const hs = await insertSubmission(t, hal);
    for (let i = 0; i < 10; i++) await create(gus, gs);
    const late = await create(hal, hs);
    const halView = await hal.call('getJob', { params: { collab: t.collab, id: late.id } });
    assert.equal(halView.queuePosition, 2, 'second in the fair order, not eleventh');
    const r = await newRunner(t, ['cpu'], 'fair');
    const first = await r.client.call('claimJob', { body: { labels: ['cpu'] } });
    const second = await r.client.call('claimJob', { body: { labels: ['cpu'] } });
    assert.equal(first.job!.submissionId, gs);
    assert.equal(second.job!.jobId, late.id);
    // A runner that keeps heartbeating but never finishes: timed out past wall × repeats + grace.
    await db().query(`update jobs set started_at = now() - interval '3 hours' where id = $1`, [late.id]);
    await sweepOnce(db(), { runningGraceSeconds: 60 });
    const got = await hal.call('getJob', { params: { collab: t.collab, id: late.id } });
    assert.equal(got.state, 'timed_out');
    assert.match(got.reason!, /ran past the wall limit/);
    await rejects(r.client.call('jobHeartbeat', { params: { id: late.id }, body: { leaseToken: second.job!.leaseToken } }), 409, 'lease_lost');
  });

  test('offline claims get a long lease; the upload lands like an online result', async () => {
    await clearQueue();
    const ivy = await t.join('ivy');
    const sub = await insertSubmission(t, ivy);
    const job = await create(ivy, sub);
    const r = await newRunner(t, ['cpu'], 'exporter');
    const { job: c } = await r.client.call('claimJob', { body: { labels: ['cpu'], offline: true } });
    assert.equal(c!.leaseSeconds, 600 * 3 + 1800);
    // Hours later, still within the lease: the sweeper leaves it alone, the heartbeat does not shorten it.
    await db().query(`update jobs set started_at = now() - interval '40 minutes' where id = $1`, [job.id]);
    await sweepOnce(db(), { runningGraceSeconds: 60 });
    const hb = await r.client.call('jobHeartbeat', { params: { id: c!.jobId }, body: { leaseToken: c!.leaseToken } });
    assert.equal(hb.leaseExpiresAt, c!.leaseExpiresAt);
    const res = await r.client.call('submitJobResult', { params: { id: c!.jobId }, body: { leaseToken: c!.leaseToken, outcome: 'succeeded', result: harnessResult('public', [3, 3, 3]), environment: ENV } });
    assert.equal(res.state, 'succeeded');
  });
});
