import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventsOf } from '@agora/core';
import type { AgoraClient } from '@agora/sdk';
import type { ChallengeSpec } from '@agora/core';
import type { Queryable } from '@agora/store';
import { insertJob } from '@agora/store/jobs';
import { chargeJob } from './operations/job-lifecycle.ts';
import { ENV, GPU_ENV, harnessResult, insertSubmission, newRunner, rejects, runNext } from './jobs.fixtures.ts';
import { sweepOnce } from './sweeper.ts';
import { startTestServer, type TestServer } from './testing.ts';

const DAY = 24 * 3600 * 1000;

describe('jobs: quota, staging and sponsorship, private splits, re-runs, leaderboard', () => {
  let t: TestServer;
  let org: AgoraClient;
  before(async () => {
    t = await startTestServer();
    org = t.admin;
  });
  after(async () => t.close());

  const create = (c: AgoraClient, submissionId: number, split = 'public') =>
    c.call('createJob', { params: { collab: t.collab }, body: { submissionId, split } });

  test('the 11th job in 24 hours is refused with when the next one frees up; cancel before start refunds; grants add jobs', async () => {
    const ada = await t.join('ada');
    const sub = await insertSubmission(t, ada);
    const jobs = [];
    for (let i = 0; i < 10; i++) jobs.push(await create(ada, sub));
    assert.equal(jobs[0]!.state, 'queued');
    assert.equal(jobs[0]!.originator.handle, 'ada');
    assert.equal(jobs[0]!.sponsor!.handle, 'ada');
    assert.equal(jobs[0]!.charged, true);
    const [first] = await t.testDb.db.query<{ charged_at: Date }>('select charged_at from quota_charges where job_id = $1', [jobs[0]!.id]);
    const err = await rejects(create(ada, sub), 429, 'quota_exceeded');
    const details = err.details as { used: number; limit: number; nextFreesAt: string };
    assert.equal(details.used, 10);
    assert.equal(details.limit, 10);
    assert.equal(details.nextFreesAt, new Date(first!.charged_at.getTime() + DAY).toISOString());
    assert.match(err.message, /10 of 10 jobs in the last 24 hours; the next one frees up at /);
    let q = await ada.call('myQuota', { params: { collab: t.collab } });
    assert.deepEqual([q.limit, q.used, q.remaining], [10, 10, 0]);
    assert.equal(q.nextFreesAt, details.nextFreesAt);

    // Cancelling a job that never started gives its charge back.
    const cancelled = await ada.call('cancelJob', { params: { collab: t.collab, id: jobs[9]!.id }, body: { reason: '<script>alert(1)</script>' } });
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(cancelled.refunded, true);
    assert.match(cancelled.reason!, /cancelled by @ada: <script>alert\(1\)<\/script> before it started/);
    await rejects(ada.call('cancelJob', { params: { collab: t.collab, id: jobs[9]!.id }, body: {} }), 409, 'conflict');
    q = await ada.call('myQuota', { params: { collab: t.collab } });
    assert.deepEqual([q.used, q.remaining], [9, 1]);
    await create(ada, sub);
    await rejects(create(ada, sub), 429, 'quota_exceeded');

    // Charges older than 24 hours leave the window.
    await t.testDb.db.query(`update quota_charges set charged_at = charged_at - interval '25 hours' where job_id = $1`, [jobs[0]!.id]);
    q = await ada.call('myQuota', { params: { collab: t.collab } });
    assert.deepEqual([q.used, q.remaining], [9, 1]);

    // Organizers grant more; participants cannot.
    await rejects(ada.call('grantQuota', { params: { collab: t.collab }, body: { handle: 'ada', extraJobs: 5, reason: 'please' } }), 403, 'forbidden');
    const g = await org.call('grantQuota', { params: { collab: t.collab }, body: { handle: 'ada', extraJobs: 2, reason: 'relay of #s1' } });
    assert.equal(g.participant.handle, 'ada');
    q = await ada.call('myQuota', { params: { collab: t.collab } });
    assert.deepEqual([q.limit, q.base, q.granted, q.remaining], [12, 10, 2, 3]);
    await rejects(org.call('grantQuota', { params: { collab: t.collab }, body: { handle: 'nobody-here', extraJobs: 2, reason: 'x' } }), 404, 'not_found');
    await rejects(org.call('grantQuota', { params: { collab: t.collab }, body: { handle: 'ada', extraJobs: -2, reason: 'x' } }), 400, 'validation_failed');
  });

  test('30 concurrent job requests against a quota of 10 accept exactly 10', async (ctx) => {
    // PGlite runs one transaction at a time, so these requests cannot race there and the test
    // passes without the lock; the next test checks the lock itself on both engines.
    if (t.testDb.engine === 'pglite') ctx.diagnostic('on PGlite transactions never overlap: this bites on PostgreSQL only; the quota-lock test below bites on both');
    const bob = await t.join('bob');
    const sub = await insertSubmission(t, bob);
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, () => create(bob, sub)));
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    assert.equal(ok.length, 10);
    assert.equal(refused.length, 20);
    for (const r of refused) assert.equal((r.reason as { code: string }).code, 'quota_exceeded');
    const [n] = await t.testDb.db.query<{ jobs: number; charges: number }>(
      `select (select count(*)::int from jobs where submission_id = $1) as jobs,
              (select count(*)::int from quota_charges c join jobs j on j.id = c.job_id where j.submission_id = $1) as charges`, [sub]);
    assert.deepEqual(n, { jobs: 10, charges: 10 }, 'no half-written job or charge');
  });

  test('check and charge happen under a quota lock held until commit (bites on both engines)', async () => {
    const db = t.testDb.db;
    const pat = await t.join('pat');
    const sub = await insertSubmission(t, pat);
    const [c] = await db.query<{ id: number; challenge: ChallengeSpec }>('select id, challenge from collaborations where slug = $1', [t.collab]);
    const [p] = await db.query<{ id: number }>(`select id from participants where handle = 'pat'`);
    const advisoryLocks = async (tx: Queryable) =>
      (await tx.query<{ n: number }>(`select count(*)::int as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid()`))[0]!.n;
    await db.transaction(async (tx) => {
      const job = await insertJob(tx, {
        collabId: c!.id, submissionId: sub, split: 'public', visibility: 'public', repeats: 1, hardware: ['cpu'],
        originatorId: p!.id, sponsorId: p!.id, requestedBy: p!.id, rerunOf: null,
      });
      assert.equal(await advisoryLocks(tx), 0);
      await chargeJob(tx, c!.id, p!.id, job.id, c!.challenge);
      assert.equal(await advisoryLocks(tx), 1, 'the participant\'s quota lock, held to the end of the transaction that charged');
      throw new Error('roll back');
    }).catch((e: Error) => assert.equal(e.message, 'roll back'));
    assert.equal(await advisoryLocks(db), 0, 'released at the end of the transaction');
  });

  test('per-owner quota: all agents of one human owner share jobs_per_owner_per_day when the challenge sets it', async () => {
    const db = t.testDb.db;
    await db.query(`update collaborations set challenge = jsonb_set(challenge, '{quota,jobs_per_owner_per_day}', '3') where slug = $1`, [t.collab]);
    try {
      const a1 = await t.join('lab-a1', 'participant', { owner: 'the-lab' });
      const a2 = await t.join('lab-a2', 'participant', { owner: 'the-lab' });
      const solo = await t.join('solo', 'participant', { owner: 'someone-else' });
      const s1 = await insertSubmission(t, a1);
      const s2 = await insertSubmission(t, a2);
      const s3 = await insertSubmission(t, solo);
      await create(a1, s1);
      await create(a1, s1);
      await create(a2, s2);
      const err = await rejects(create(a2, s2), 429, 'quota_exceeded');
      assert.deepEqual([(err.details as { scope: string }).scope, (err.details as { used: number }).used], ['owner', 3]);
      assert.match(err.message, /agents of owner "the-lab" used 3 of 3/);
      const q = await a2.call('myQuota', { params: { collab: t.collab } });
      assert.deepEqual([q.used, q.remaining, q.owner], [1, 9, { name: 'the-lab', limit: 3, used: 3, remaining: 0 }]);
      await create(solo, s3);
    } finally {
      await db.query(`update collaborations set challenge = challenge #- '{quota,jobs_per_owner_per_day}' where slug = $1`, [t.collab]);
    }
    assert.equal((await (await t.join('after-owner')).call('myQuota', { params: { collab: t.collab } })).owner, null);
  });

  test('staging and sponsored runs: the runner pays and both are credited everywhere', async () => {
    const cy = await t.join('cy');
    const dee = await t.join('dee');
    const plain = await insertSubmission(t, cy, { title: 'not staged' });
    await rejects(create(dee, plain), 403, 'forbidden');
    const staged = await insertSubmission(t, cy, { staged: true, title: 'int4 lm_head' });
    const job = await create(dee, staged);
    assert.equal(job.originator.handle, 'cy');
    assert.equal(job.sponsor!.handle, 'dee');
    assert.equal((await cy.call('myQuota', { params: { collab: t.collab } })).used, 0, 'the author pays nothing');
    assert.equal((await dee.call('myQuota', { params: { collab: t.collab } })).used, 1, 'the sponsor pays');
    // Score it, then look at every place the result shows.
    await t.testDb.db.query(`update jobs set state = 'cancelled', finished_at = now() where state = 'queued' and id <> $1`, [job.id]);
    const runner = await newRunner(t, ['cpu'], 'sponsor-runner');
    await runNext(runner.client, [10, 11, 12]);
    const got = await dee.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(got.state, 'succeeded');
    assert.deepEqual([got.originator.handle, got.sponsor!.handle], ['cy', 'dee']);
    assert.deepEqual(got.result!.metric.samples, [10, 11, 12]);
    assert.equal(got.result!.environment.runnerId, runner.id);
    const board = await t.anonymous.call('leaderboard', { params: { collab: t.collab }, query: { split: 'public' } });
    const entry = board.items.find((e) => e.submissionId === staged)!;
    assert.equal(entry.author.handle, 'cy');
    assert.deepEqual(entry.sponsors.map((s) => s.handle), ['dee']);
    const res = await t.anonymous.call('submissionResults', { params: { collab: t.collab, id: staged } });
    assert.deepEqual([res.items[0]!.originator.handle, res.items[0]!.sponsor!.handle], ['cy', 'dee']);
    const events = await t.anonymous.call('listEvents', { params: { collab: t.collab }, query: { types: 'job.succeeded' } });
    const ev = eventsOf(events.items, 'job.succeeded').find((e) => e.payload.jobId === job.id)!;
    assert.deepEqual([ev.payload.originatorId, ev.payload.sponsorId], [got.originator.id, got.sponsor!.id]);
    assert.deepEqual([ev.payload.originator, ev.payload.sponsor], ['cy', 'dee']);
    const mine = await t.anonymous.call('listJobs', { params: { collab: t.collab }, query: { participant: 'dee' } });
    assert.deepEqual(mine.items.map((j) => j.id), [job.id]);
  });

  test('private split: organizers only, uncharged; non-organizers see a verdict and a coarsened metric, never samples or logs', async () => {
    const eve = await t.join('eve');
    const sub = await insertSubmission(t, eve);
    await rejects(create(eve, sub, 'private'), 403, 'forbidden');
    await rejects(create(eve, sub, 'no-such-split'), 400, 'validation_failed');
    await t.testDb.db.query(`update jobs set state = 'cancelled', finished_at = now() where state = 'queued'`);
    const job = await create(org, sub, 'private');
    assert.equal(job.visibility, 'private');
    await rejects(eve.call('cancelJob', { params: { collab: t.collab, id: job.id }, body: {} }), 403, 'forbidden');
    assert.equal(job.sponsor, null);
    assert.equal(job.charged, false);
    const runner = await newRunner(t, ['cpu'], 'private-runner');
    const claimed = await runner.client.call('claimJob', { body: { labels: ['cpu'] } });
    // An infrastructure error whose reason quotes private data: retried, and the reason stays with organizers.
    await runner.client.call('submitJobResult', {
      params: { id: claimed.job!.jobId },
      body: { leaseToken: claimed.job!.leaseToken, outcome: 'errored', reason: 'harness crashed on SECRET private prompt 9', environment: ENV },
    });
    const again = await runner.client.call('claimJob', { body: { labels: ['cpu'] } });
    claimed.job = again.job;
    await runner.client.call('appendJobLogs', { params: { id: claimed.job!.jobId }, body: { leaseToken: claimed.job!.leaseToken, lines: [{ stream: 'harness', text: 'prompt: SECRET private prompt 3' }] } });
    await runner.client.call('submitJobResult', {
      params: { id: claimed.job!.jobId },
      body: { leaseToken: claimed.job!.leaseToken, outcome: 'succeeded', result: harnessResult('private', [7, 8]), environment: ENV },
    });
    const seen = await eve.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.deepEqual(seen.result!.metric.samples, [7.5], 'one coarsened mean, no sample count');
    assert.equal(seen.result!.guardrails[0]!.value, undefined, 'a guardrail verdict, not its value');
    assert.equal(seen.attempts.length, 2);
    assert.equal(seen.result!.guardrailsPassed, true);
    assert.equal(seen.result!.samples, null);
    assert.deepEqual(seen.result!.extra, {});
    assert.ok(!JSON.stringify(seen).includes('SECRET'), 'nothing private in the job as a participant sees it');
    await rejects(eve.call('jobLogs', { params: { collab: t.collab, id: job.id } }), 403, 'forbidden');
    await rejects(t.anonymous.call('jobLogs', { params: { collab: t.collab, id: job.id } }), 403, 'forbidden');
    const res = await fetch(`${t.url}/v1/collaborations/${t.collab}/jobs/${job.id}/logs/stream`, { headers: { authorization: `Bearer ${eve.apiKey}` } });
    assert.equal(res.status, 403);
    const events = await t.anonymous.call('listEvents', { params: { collab: t.collab } });
    assert.ok(!JSON.stringify(events).includes('SECRET'), 'nothing private in the event log');
    const asOrg = await org.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(asOrg.result!.samples!.length, 2);
    const logs = await org.call('jobLogs', { params: { collab: t.collab, id: job.id } });
    assert.ok(logs.items.some((l) => l.text.includes('SECRET')));
    const board = await eve.call('leaderboard', { params: { collab: t.collab }, query: { split: 'private' } });
    assert.deepEqual(board.items.map((e) => [e.submissionId, e.mean]), [[sub, 7.5]]);
  });

  test('a private job that failed: its runner\'s reason reaches organizers only, in every view', async () => {
    const uma = await t.join('uma');
    const sub = await insertSubmission(t, uma);
    await t.testDb.db.query(`update jobs set state = 'cancelled', finished_at = now() where state = 'queued'`);
    const job = await create(org, sub, 'private');
    const runner = await newRunner(t, ['cpu'], 'private-fail-runner');
    const { job: claimed } = await runner.client.call('claimJob', { body: { labels: ['cpu'] } });
    await runner.client.call('submitJobResult', {
      params: { id: claimed!.jobId },
      body: { leaseToken: claimed!.leaseToken, outcome: 'failed', reason: 'wrong answer to SECRET private prompt 5', result: harnessResult('private', [], { status: 'failed' }), environment: ENV },
    });
    const views = async (c: AgoraClient) => JSON.stringify([
      await c.call('getJob', { params: { collab: t.collab, id: job.id } }),
      await c.call('listJobs', { params: { collab: t.collab }, query: { submissionId: sub } }),
      await c.call('submissionResults', { params: { collab: t.collab, id: sub } }),
      await c.call('listEvents', { params: { collab: t.collab }, query: { types: 'job.failed' } }),
    ]);
    for (const who of [uma, t.anonymous]) {
      const seen = await views(who);
      assert.ok(!seen.includes('SECRET'), 'the failure reason is redacted for participants and observers');
      assert.match(seen, /failed on the private split; the runner's reason is visible to organizers only/);
    }
    const got = await uma.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(got.state, 'failed');
    assert.equal(got.attempts[0]!.reason, got.reason, 'the attempt\'s reason too');
    const asOrg = await org.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(asOrg.reason, 'wrong answer to SECRET private prompt 5');
    assert.equal(asOrg.attempts[0]!.reason, 'wrong answer to SECRET private prompt 5');
  });

  test('a submission that encodes private text into its figures gets nothing out (participants see 3 significant digits)', async () => {
    // What a cheating submission can do: it chooses its speed and the log-probabilities behind
    // perplexity, so it writes the private prompt it saw into the figures' low digits.
    const SECRET = 'Wombat';
    const k = [...Buffer.from(SECRET)].reduce((n, b) => n * 256 + b, 0); // 48 bits
    const hide = (base: number) => base * (1 + k / 2 ** 48 / 100);
    const reveal = (x: number, base: number) => {
      let n = Math.round(((x / base - 1) * 100) * 2 ** 48);
      const bytes: number[] = [];
      for (let i = 0; i < 6; i++, n = Math.floor(n / 256)) bytes.unshift(n % 256);
      return Buffer.from(bytes).toString('latin1');
    };
    const vic = await t.join('vic');
    const sub = await insertSubmission(t, vic);
    await t.testDb.db.query(`update jobs set state = 'cancelled', finished_at = now() where state = 'queued'`);
    const job = await create(org, sub, 'private');
    const runner = await newRunner(t, ['cpu'], 'encoding-runner');
    const { job: claimed } = await runner.client.call('claimJob', { body: { labels: ['cpu'] } });
    const result = harnessResult('private', [hide(1000), hide(1000), hide(1000)]);
    result.guardrails = [{ name: 'perplexity', value: hide(2), threshold: 3, op: '<=', passed: true, detail: {} }];
    await runner.client.call('submitJobResult', { params: { id: claimed!.jobId }, body: { leaseToken: claimed!.leaseToken, outcome: 'succeeded', result, environment: ENV } });

    // The encoding works: an organizer's view holds the full figures and reads the text back.
    const asOrg = await org.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(reveal(asOrg.result!.metric.samples[0]!, 1000), SECRET);
    assert.equal(reveal(asOrg.result!.guardrails[0]!.value as number, 2), SECRET);

    // Everything a participant can read about it: the job, lists, pools, the private board, events.
    const seen = await vic.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.deepEqual(seen.result!.metric.samples, [1000]);
    assert.deepEqual(seen.result!.guardrails, [{ name: 'perplexity', op: '<=', threshold: 3, passed: true }]);
    const views = [
      seen,
      await vic.call('listJobs', { params: { collab: t.collab }, query: { submissionId: sub } }),
      await vic.call('submissionResults', { params: { collab: t.collab, id: sub } }),
      await vic.call('leaderboard', { params: { collab: t.collab }, query: { split: 'private' } }),
      await vic.call('listEvents', { params: { collab: t.collab } }),
    ];
    const numbers: number[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'number') numbers.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(views);
    for (const x of numbers) for (const base of [1000, 2]) assert.notEqual(reveal(x, base), SECRET, `${x} leaks the text`);
    const board = views[3] as Awaited<ReturnType<typeof vic.call<'leaderboard'>>>;
    const entry = board.items.find((e) => e.submissionId === sub)!;
    assert.deepEqual([entry.mean, entry.stdev, entry.ciLow, entry.ciHigh], [1000, null, null, null]);
    assert.deepEqual(board.noiseFloor, [], 'no spread of private figures');
  });

  test('re-runs: the author re-runs a failed job (charged), organizers any job (uncharged), a succeeded one is not re-run by its author', async () => {
    const fay = await t.join('fay');
    const sub = await insertSubmission(t, fay);
    await t.testDb.db.query(`update jobs set state = 'cancelled', finished_at = now() where state = 'queued'`);
    const job = await create(fay, sub);
    const runner = await newRunner(t, ['cpu'], 'rerun-runner');
    const { job: claimed } = await runner.client.call('claimJob', { body: { labels: ['cpu'] } });
    await runner.client.call('submitJobResult', {
      params: { id: claimed!.jobId },
      body: { leaseToken: claimed!.leaseToken, outcome: 'failed', result: harnessResult('public', [], { status: 'failed' }), environment: ENV },
    });
    const failed = await fay.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(failed.state, 'failed');
    assert.equal(failed.reason, 'the submission exited with code 1 at import', 'the failure says why');
    assert.equal(failed.refunded, false, 'the submission\'s fault is charged');
    const other = await t.join('gus');
    await rejects(other.call('rerunJob', { params: { collab: t.collab, id: job.id } }), 403, 'forbidden');
    const again = await fay.call('rerunJob', { params: { collab: t.collab, id: job.id } });
    assert.deepEqual([again.rerunOf, again.charged, again.sponsor!.handle], [job.id, true, 'fay']);
    const byOrg = await org.call('rerunJob', { params: { collab: t.collab, id: job.id } });
    assert.deepEqual([byOrg.charged, byOrg.sponsor], [false, null]);
    await rejects(fay.call('rerunJob', { params: { collab: t.collab, id: again.id } }), 409, 'conflict');
    await runNext(runner.client, [1, 2, 3]);
    const done = await fay.call('getJob', { params: { collab: t.collab, id: again.id } });
    assert.equal(done.state, 'succeeded');
    await rejects(fay.call('rerunJob', { params: { collab: t.collab, id: again.id } }), 409, 'conflict');
  });

  test('leaderboard pools all runs per hardware class, leaves out invalidated submissions, shows guardrail failures unranked', async () => {
    const hal = await t.join('hal');
    await t.testDb.db.query(`update jobs set state = 'cancelled', finished_at = now() where state = 'queued'`);
    await org.call('grantQuota', { params: { collab: t.collab }, body: { handle: 'hal', extraJobs: 20, reason: 'leaderboard test' } });
    const [a, b, bad, gone] = [await insertSubmission(t, hal, { title: 'a' }), await insertSubmission(t, hal, { title: 'b' }), await insertSubmission(t, hal, { title: 'bad' }), await insertSubmission(t, hal, { title: 'gone' })];
    const runner = await newRunner(t, ['cpu', 'gpu'], 'board-runner');
    const score = async (sub: number, samples: number[], env: Record<string, unknown> = ENV, pass = true) => {
      await create(hal, sub);
      await runNext(runner.client, samples, env, pass);
    };
    await score(a, [100, 101, 99]);
    await score(a, [130, 100, 100]); // a lucky run: the pool, not the best run, counts
    await score(b, [50, 51, 49]);
    await score(b, [200, 201, 199], GPU_ENV); // another hardware class: never mixed
    await score(bad, [500, 501, 499], ENV, false);
    const [rejected] = (await hal.call('listJobs', { params: { collab: t.collab }, query: { submissionId: bad } })).items;
    assert.equal(rejected!.state, 'guardrail_failed', 'scored but failed a guardrail: not succeeded');
    assert.match(rejected!.reason!, /failed the guardrail\(s\) error: not ranked/);
    const rejectedEvent = eventsOf((await hal.call('listEvents', { params: { collab: t.collab }, query: { types: 'job.guardrail_failed' } })).items, 'job.guardrail_failed').find((e) => e.payload.jobId === rejected!.id);
    assert.equal(rejectedEvent?.payload.guardrailsPassed, false);
    await rejects(hal.call('rerunJob', { params: { collab: t.collab, id: rejected!.id } }), 409, 'conflict');
    await score(gone, [900, 901, 899]);
    await t.testDb.db.query(`update submissions set invalidated_at = now(), invalidated_reason = 'ruling' where id = $1`, [gone]);
    const board = await t.anonymous.call('leaderboard', { params: { collab: t.collab }, query: { split: 'public' } });
    const cpu = board.items.filter((e) => e.hardwareClass === 'cpu:amd epyc 7r32' && [a, b, bad, gone].includes(e.submissionId));
    assert.deepEqual(cpu.map((e) => e.submissionId), [a, b, bad]);
    const ea = cpu[0]!;
    assert.equal(ea.n, 6);
    assert.equal(ea.jobs, 2);
    assert.ok(Math.abs(ea.mean - 105) < 1e-9, 'pooled mean of all six samples');
    assert.ok(ea.ciLow! < 105 && ea.ciHigh! > 105);
    assert.equal(cpu[2]!.rank, null);
    assert.deepEqual(cpu[2]!.failedGuardrails, ['error']);
    assert.ok(board.hardwareClasses.includes('gpu:nvidia a10g'));
    const floor = board.noiseFloor.find((f) => f.hardwareClass === 'cpu:amd epyc 7r32')!;
    assert.ok(floor.entries >= 2 && floor.sampleSd! > 0 && floor.minimumDetectable! > 0, JSON.stringify(floor));
    const gpu = await t.anonymous.call('leaderboard', { params: { collab: t.collab }, query: { split: 'public', hardware: 'gpu:nvidia a10g' } });
    assert.deepEqual(gpu.items.map((e) => [e.submissionId, e.rank, e.mean]), [[b, 1, 200]]);
    const res = await t.anonymous.call('submissionResults', { params: { collab: t.collab, id: b } });
    assert.deepEqual(res.pools.map((p) => [p.hardwareClass, p.jobs, p.n]), [['cpu:amd epyc 7r32', 1, 3], ['gpu:nvidia a10g', 1, 3]]);
    assert.equal(res.items.length, 2);
    await rejects(create(hal, gone), 409, 'conflict');
  });

  test('queued past the deadline: flagged overdue with a reason and an event, once', async () => {
    const ivy = await t.join('ivy');
    const sub = await insertSubmission(t, ivy);
    await t.testDb.db.query(`update jobs set state = 'cancelled', finished_at = now() where state = 'queued'`);
    await t.testDb.db.query(`update runners set revoked_at = now()`);
    const job = await create(ivy, sub);
    await t.testDb.db.query(`update jobs set queued_at = now() - interval '2 hours' where id = $1`, [job.id]);
    await sweepOnce(t.testDb.db, { queueDeadlineSeconds: 3600 });
    await sweepOnce(t.testDb.db, { queueDeadlineSeconds: 3600 });
    const got = await ivy.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(got.state, 'queued');
    assert.ok(got.overdueAt);
    assert.match(got.reason!, /no runner with labels \[cpu\] is online/);
    assert.equal(got.waitEstimateSeconds, null, 'no runner: no estimate');
    assert.equal(got.queuePosition, 1);
    const events = await ivy.call('listEvents', { params: { collab: t.collab }, query: { types: 'job.overdue' } });
    assert.equal(eventsOf(events.items, 'job.overdue').filter((e) => e.payload.jobId === job.id).length, 1);
    const overdue = await org.call('listJobs', { params: { collab: t.collab }, query: { overdue: 'true' } });
    assert.deepEqual(overdue.items.map((j) => j.id), [job.id]);
  });

  test('adversarial input: other ids, wrong collaboration, bad numbers, observers', async () => {
    const jay = await t.join('jay');
    const watcher = await t.join('watcher', 'observer');
    const sub = await insertSubmission(t, jay);
    await rejects(jay.call('createJob', { params: { collab: t.collab }, body: { submissionId: -1, split: 'public' } }), 400, 'validation_failed');
    await rejects(jay.call('createJob', { params: { collab: t.collab }, body: { submissionId: 999999, split: 'public' } }), 404, 'not_found');
    await rejects(jay.call('createJob', { params: { collab: t.collab }, body: { submissionId: sub, split: 'public', repeats: 1000 } }), 400, 'validation_failed');
    await rejects(jay.call('createJob', { params: { collab: t.collab }, body: { submissionId: sub, split: 'public', repeats: 4 } }), 400, 'validation_failed');
    await rejects(jay.call('createJob', { params: { collab: t.collab }, body: { submissionId: sub, split: "public'; drop table jobs; --" } }), 400, 'validation_failed');
    await rejects(watcher.call('createJob', { params: { collab: t.collab }, body: { submissionId: sub, split: 'public' } }), 403, 'forbidden');
    await rejects(jay.call('getJob', { params: { collab: t.collab, id: 2_000_000_000 } }), 404, 'not_found');
    await rejects(jay.call('listJobs', { params: { collab: t.collab }, query: { cursor: 'bm9wZQ' } }), 400, 'validation_failed');
    await rejects(jay.call('listJobs', { params: { collab: t.collab }, query: { state: 'queued,exploded' } }), 400, 'validation_failed');
    const job = await jay.call('createJob', { params: { collab: t.collab }, body: { submissionId: sub, split: 'public', repeats: 2 } });
    assert.equal(job.repeats, 2);
    await rejects(watcher.call('cancelJob', { params: { collab: t.collab, id: job.id }, body: {} }), 403, 'forbidden');
    const kay = await t.join('kay');
    await rejects(kay.call('cancelJob', { params: { collab: t.collab, id: job.id }, body: {} }), 403, 'forbidden');
    // Paging: every job once, newest first.
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.anonymous.call('listJobs', { params: { collab: t.collab }, query: { limit: 7, ...(cursor ? { cursor } : {}) } });
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const [{ n }] = (await t.testDb.db.query<{ n: number }>('select count(*)::int as n from jobs')) as [{ n: number }];
    assert.equal(seen.length, n);
    assert.deepEqual(seen, [...seen].sort((x, y) => y - x));
  });
});
