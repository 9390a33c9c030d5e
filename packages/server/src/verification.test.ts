/**
 * Automatic private verification (docs/decisions/0140) over real HTTP on the engine under test,
 * results reported through the runner protocol, the verifier stepped with a clock of the test's
 * own (verifyOnce): new leaders and the daily top K queued uncharged, verdicts decided at the
 * release time and announced by the verifier, diverged entries out of the ranking, organizers
 * verifying on demand and overriding with a reason.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AgoraClient } from '@agora/sdk';
import { ENV, harnessResult, newRunner, rejects } from './jobs.fixtures.ts';
import { join } from 'node:path';
import { tempDir } from '@agora/store/testing';
import { startTestServer, writeFixtureChallenge, type TestServer } from './testing.ts';
import { verifyOnce } from './verifier.ts';

describe('automatic private verification', () => {
  let t: TestServer;
  let olga: AgoraClient, ada: AgoraClient, bo: AgoraClient;
  let runner: AgoraClient;
  const P = () => ({ collab: t.collab });
  const ids = {} as Record<'fast' | 'mid' | 'memo' | 'slow', number>;
  const HOUR = 3600_000;
  // A day of the verifier's own, far from midnight and from the hour's edge.
  const day0 = new Date(Date.UTC(2030, 0, 10, 9, 30));
  const at = (ms: number) => new Date(day0.getTime() + ms);

  /** Claims the next job and answers it: samples per submission name, a guardrail verdict. */
  async function run(samplesOf: (submissionId: number, split: string) => { samples: number[]; passed?: boolean }) {
    const { job } = await runner.call('claimJob', { body: { labels: ['cpu'] } });
    assert.ok(job, 'a job to claim');
    const { samples, passed } = samplesOf(job.submissionId, job.split);
    await runner.call('submitJobResult', {
      params: { id: job.jobId },
      body: { leaseToken: job.leaseToken, outcome: 'succeeded', result: harnessResult(job.split, samples, { guardrailPassed: passed ?? true }), environment: ENV },
    });
    return job;
  }
  const board = async (who: AgoraClient = ada) => (await who.call('leaderboard', { params: P() })).items;
  const entry = async (id: number) => (await board()).find((e) => e.submissionId === id)!;

  before(async () => {
    t = await startTestServer();
    [olga, ada, bo] = [await t.join('olga', 'organizer'), await t.join('ada'), await t.join('bo')];
    runner = (await newRunner(t)).client;
    for (const [who, name, samples] of [[ada, 'fast', [30, 30.5, 29.5]], [bo, 'mid', [20, 20.2, 19.8]], [ada, 'memo', [25, 25.1, 24.9]], [bo, 'slow', [10, 10.1, 9.9]]] as const) {
      const s = await who.call('createSubmission', { params: P(), body: { title: name, files: [{ path: 'serve.py', content: `print("${name}")\n` }] } });
      ids[name] = s.submission.id;
      await who.call('createJob', { params: P(), body: { submissionId: s.submission.id, split: 'public' } });
      await run(() => ({ samples: [...samples] }));
    }
  });
  after(async () => t.close());

  test('the first tick queues the leader and the day\'s top K (3) on the private split, uncharged, not cancellable by the author', async () => {
    const r = await verifyOnce(t.testDb.db, day0);
    assert.deepEqual(r.queued.map((q) => [q.submissionId, q.reason]), [[ids.fast, 'new_leader'], [ids.memo, 'daily_top'], [ids.mid, 'daily_top']]);
    for (const q of r.queued) {
      const job = await ada.call('getJob', { params: { ...P(), id: q.jobId } });
      assert.deepEqual([job.split, job.charged, job.sponsor, job.requestedBy.handle], ['private', false, null, 'agora-verifier']);
    }
    await rejects(ada.call('cancelJob', { params: { ...P(), id: r.queued[0]!.jobId }, body: {} }), 403, 'forbidden');
    assert.deepEqual((await verifyOnce(t.testDb.db, at(HOUR))).queued, [], 'the same day: nothing more, none twice');
    const listed = await ada.call('listVerifications', { params: P() });
    assert.deepEqual(listed.items.map((v) => v.state), ['pending', 'pending', 'pending']);
  });

  test('verdicts are decided at the release time after the run ends, announced by the verifier; a diverged entry leaves the ranking', async () => {
    // fast ties on private; memo answers public prompts from a table (25x slower on private); mid fails a guardrail there.
    for (let i = 0; i < 3; i++)
      await run((id) => (id === ids.fast ? { samples: [29.8, 30.2, 30] } : id === ids.memo ? { samples: [1, 1.02, 0.98] } : { samples: [20, 20.1, 19.9], passed: false }));
    // The runs ended just now (real time); the verifier's clock before their release: nothing decided.
    const ended = new Date();
    assert.deepEqual((await verifyOnce(t.testDb.db, new Date(ended.getTime() - 2 * HOUR))).decided, []);
    const r = await verifyOnce(t.testDb.db, new Date(ended.getTime() + HOUR + 1000));
    assert.equal(r.decided.length, 3);
    const byId = new Map((await ada.call('listVerifications', { params: P() })).items.map((v) => [v.submissionId, v]));
    assert.equal(byId.get(ids.fast)!.verdict, 'verified');
    assert.deepEqual([byId.get(ids.memo)!.verdict, byId.get(ids.memo)!.diverged], ['diverged', ['metric']]);
    assert.deepEqual([byId.get(ids.mid)!.verdict, byId.get(ids.mid)!.diverged, byId.get(ids.mid)!.failedGuardrails], ['diverged', ['guardrails'], ['error']]);
    assert.equal(byId.get(ids.memo)!.ratio, null, 'the private / public ratio is a private figure');
    const forOrganizer = await olga.call('getVerification', { params: { ...P(), id: byId.get(ids.memo)!.id } });
    assert.ok(forOrganizer.ratio! < 0.05, `organizers see it: ${forOrganizer.ratio}`);

    const post = await ada.call('getPost', { params: { ...P(), id: byId.get(ids.memo)!.postId! } });
    assert.deepEqual([post.post.author, post.post.tags], ['agora-verifier', ['verification']]);
    assert.match(post.post.body!, /diverged.*leaves the public ranking/s);
    assert.doesNotMatch(post.post.body!, /\d\.\d/, 'no private figure in the public post');

    const memo = await entry(ids.memo);
    assert.deepEqual([memo.rank, memo.unranked, memo.verdict], [null, 'verification_diverged', 'diverged']);
    assert.deepEqual([(await entry(ids.fast)).rank, (await entry(ids.fast)).verdict], [1, 'verified']);
    const lineage = await t.anonymous.call('lineage', { params: P() });
    const badges = (id: number) => lineage.nodes.find((n) => n.id === id)!.badges;
    assert.ok(badges(ids.fast!).includes('verified') && badges(ids.memo!).includes('diverged') && !badges(ids.slow!).includes('verified'));
    assert.deepEqual((await t.anonymous.call('progress', { params: P() })).steps.map((s) => s.submissionId), [ids.fast]);
  });

  test('the next day the top K not yet verified are queued; a new leader at once', async () => {
    const next = await verifyOnce(t.testDb.db, at(24 * HOUR));
    assert.deepEqual(next.queued.map((q) => [q.submissionId, q.reason]), [[ids.slow, 'daily_top']], 'memo and mid left the ranking: slow moves into the top 3');
    await run(() => ({ samples: [10, 10.1, 9.9] }));
    const s = await bo.call('createSubmission', { params: P(), body: { title: 'faster', files: [{ path: 'serve.py', content: 'print("faster")\n' }] } });
    await bo.call('createJob', { params: P(), body: { submissionId: s.submission.id, split: 'public' } });
    await run(() => ({ samples: [60, 60.5, 59.5] }));
    const leader = await verifyOnce(t.testDb.db, at(25 * HOUR));
    assert.deepEqual(leader.queued.map((q) => [q.submissionId, q.reason]), [[s.submission.id, 'new_leader']]);
  });

  test('organizers verify on demand and override a verdict with a reason, in the audit log', async () => {
    await rejects(ada.call('verifySubmission', { params: { ...P(), id: ids.fast! }, body: {} }), 403, 'forbidden');
    await rejects(olga.call('verifySubmission', { params: { ...P(), id: ids.fast! }, body: { split: 'public' } }), 400, 'validation_failed');
    const v = await olga.call('verifySubmission', { params: { ...P(), id: ids.fast! }, body: {} });
    assert.deepEqual([v.reason, v.state, v.requestedBy], ['organizer', 'pending', 'olga']);
    await rejects(olga.call('verifySubmission', { params: { ...P(), id: ids.fast! }, body: {} }), 409, 'conflict');
    await rejects(olga.call('overrideVerdict', { params: { ...P(), id: v.id }, body: { verdict: 'verified', reason: 'x' } }), 409, 'conflict');

    const mid = (await olga.call('listVerifications', { params: P(), query: { submission: ids.mid!, state: 'diverged' } })).items[0]!;
    await rejects(bo.call('overrideVerdict', { params: { ...P(), id: mid.id }, body: { verdict: 'verified', reason: 'mine' } }), 403, 'forbidden');
    const set = await olga.call('overrideVerdict', { params: { ...P(), id: mid.id }, body: { verdict: 'verified', reason: 'The private guardrail threshold was misconfigured for this split.' } });
    assert.deepEqual([set.state, set.verdict, set.override?.by], ['diverged', 'verified', 'olga']);
    const back = await entry(ids.mid!);
    assert.deepEqual([back.verdict, back.unranked], ['verified', null]);
    assert.ok(back.rank !== null, 'ranked again');
    const audit = await olga.call('auditLog', { params: P(), query: { types: 'verification.overridden,verification.queued' } });
    assert.deepEqual(audit.items.map((e) => e.type), ['verification.overridden', 'verification.queued']);
    await rejects(ada.call('getVerification', { params: { ...P(), id: 999_999 } }), 404, 'not_found');
  });

  test('compare on the private split: participants get the verdict and 3 significant digits, no interval, no counts', async () => {
    const q = { a: ids.fast, b: ids.slow, split: 'private' };
    const seen = await ada.call('compare', { params: P(), query: q });
    const full = await olga.call('compare', { params: P(), query: q });
    assert.equal(seen.verdict, full.verdict);
    assert.equal(seen.ratio.estimate, Number(full.ratio.estimate.toPrecision(3)));
    assert.deepEqual([seen.ratio.low, seen.ratio.high, seen.p, seen.a.n, seen.a.jobs, seen.b.ciLow], [null, null, null, null, null, null]);
    assert.ok(full.ratio.low !== null && full.a.n === 3, 'organizers see everything');
    const pub = await ada.call('compare', { params: P(), query: { ...q, split: 'public' } });
    assert.ok(pub.ratio.low !== null && pub.a.n === 3, 'public figures stay whole');
  });
});

describe('a private job\'s timing, as participants see it (release period 60 min)', () => {
  let t: TestServer;
  const tmp = tempDir('agora-release-');
  before(async () => {
    t = await startTestServer({ challengeDir: writeFixtureChallenge(join(tmp.path, 'c'), 'verification: { top_k: 3, release_minutes: 60 }\n') });
  });
  after(async () => {
    await t.close();
    tmp.dispose();
  });

  test('until the release time the job reads as running, with no result, no outcome event and nothing on the private board', async () => {
    const ada = await t.join('ada');
    const runner = (await newRunner(t)).client;
    const s = await ada.call('createSubmission', { params: { collab: t.collab }, body: { title: 'x', files: [{ path: 'serve.py', content: 'print(1)\n' }] } });
    const v = await t.admin.call('verifySubmission', { params: { collab: t.collab, id: s.submission.id }, body: {} });
    const { job } = await runner.call('claimJob', { body: { labels: ['cpu'] } });
    await runner.call('submitJobResult', { params: { id: job!.jobId }, body: { leaseToken: job!.leaseToken, outcome: 'succeeded', result: harnessResult('private', [5, 5.1, 4.9]), environment: ENV } });
    const P = { collab: t.collab, id: v.jobId };
    const seen = await ada.call('getJob', { params: P });
    const full = await t.admin.call('getJob', { params: P });
    assert.equal(full.state, 'succeeded');
    assert.deepEqual([seen.state, seen.result, seen.finishedAt, seen.leaseExpiresAt, seen.attempts[0]!.endedAt], ['running', null, null, null, null]);
    assert.equal(new Date(seen.startedAt!).getTime() % 3600_000, 0, 'times floored to the release period');
    // `jobs list --state` filters on the state shown, so which rows match tells nothing more.
    const listed = async (who: AgoraClient, state: string) => (await who.call('listJobs', { params: { collab: t.collab }, query: { state } })).items.map((j) => [j.id, j.state]);
    assert.deepEqual(await listed(ada, 'succeeded'), [], 'not matched by its real state before the release time');
    assert.deepEqual(await listed(ada, 'running,queued'), [[v.jobId, 'running']]);
    assert.deepEqual(await listed(t.admin, 'succeeded'), [[v.jobId, 'succeeded']], 'organizers filter on the real state');
    const types = async (who: AgoraClient) => (await who.call('listEvents', { params: { collab: t.collab } })).items.filter((e) => e.subject === `#j${v.jobId}`).map((e) => e.type);
    assert.deepEqual(await types(ada), ['job.queued', 'job.started']);
    assert.ok((await types(t.admin)).includes('job.succeeded'));
    assert.equal((await ada.call('leaderboard', { params: { collab: t.collab }, query: { split: 'private' } })).items.length, 0);
    assert.equal((await t.admin.call('leaderboard', { params: { collab: t.collab }, query: { split: 'private' } })).items.length, 1);
    assert.deepEqual((await t.verify(new Date())).decided, [], 'the verdict waits for the release time too');
  });
});
