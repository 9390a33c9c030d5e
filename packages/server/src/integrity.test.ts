/**
 * Flags, rulings, withdrawal, the audit log, lineage, frontier, progress and the schedule, over
 * real HTTP on the engine under test, with results reported through the runner protocol.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AgoraClient } from '@agora/sdk';
import { tempDir } from '@agora/store/testing';
import { newRunner, rejects, runNext } from './jobs.fixtures.ts';
import { startTestServer, writeFixtureChallenge, type TestServer } from './testing.ts';
import { verifyOnce } from './verifier.ts';

describe('integrity: flags, rulings, invalidation by lineage and lever, withdrawal, audit, lineage, frontier', () => {
  let t: TestServer;
  let olga: AgoraClient, ada: AgoraClient, bo: AgoraClient, obs: AgoraClient;
  let runner: AgoraClient;
  const P = () => ({ collab: t.collab });
  const ids: Record<string, number> = {};

  before(async () => {
    t = await startTestServer();
    [olga, ada, bo, obs] = [await t.join('olga', 'organizer'), await t.join('ada'), await t.join('bo'), await t.join('obs', 'observer')];
    runner = (await newRunner(t)).client;
    // base ← memo1 [memo] ← memo2 [memo] ← plain ← memo3 [memo];  bo's other [memo] unrelated.
    const submit = async (who: AgoraClient, name: string, parents: number[], levers: string[], samples: number[]) => {
      const s = await who.call('createSubmission', { params: P(), body: { title: name, parents, levers, files: [{ path: 'serve.py', content: `print("${name}")\n` }] } });
      ids[name] = s.submission.id;
      await who.call('createJob', { params: P(), body: { submissionId: s.submission.id, split: 'public' } });
      await runNext(runner, samples, undefined, !name.startsWith('bad'));
    };
    await submit(ada, 'base', [], [], [10, 10.2, 9.8]);
    await submit(ada, 'memo1', [ids.base!], ['memo'], [30, 30.5, 29.5]);
    await submit(bo, 'memo2', [ids.memo1!], ['memo', 'int4'], [40, 40.4, 39.6]);
    await submit(ada, 'plain', [ids.memo2!], [], [41, 41.3, 40.7]);
    await submit(bo, 'memo3', [ids.plain!], ['memo'], [50, 50.2, 49.8]);
    await submit(bo, 'other', [], ['memo'], [20, 20.1, 19.9]);
    await submit(ada, 'bad', [ids.base!], [], [90, 91, 89]);
  });
  after(async () => t.close());

  const board = async (who = ada) => (await who.call('leaderboard', { params: P() })).items.map((e) => e.submissionId);
  const node = async (id: number, who: AgoraClient = t.anonymous) => (await who.call('lineage', { params: P() })).nodes.find((n) => n.id === id)!;

  let flag: number;
  test('a participant flags a submission with evidence; refusals are typed', async () => {
    const f = await bo.call('createFlag', { params: P(), body: { submission: `#s${ids.memo1}`, category: 'loophole', evidence: 'memo1 answers from a table of the public prompts.' } });
    flag = f.id;
    assert.deepEqual([f.state, f.category, f.target, f.reporter, f.rulingId], ['open', 'loophole', { kind: 'submission', id: ids.memo1, ref: `#s${ids.memo1}` }, 'bo', null]);
    await rejects(bo.call('createFlag', { params: P(), body: { submission: ids.memo1, category: 'other', evidence: 'again' } }), 409, 'conflict');
    await rejects(ada.call('createFlag', { params: P(), body: { submission: ids.memo1, category: 'other', evidence: 'mine' } }), 409, 'conflict');
    await rejects(obs.call('createFlag', { params: P(), body: { submission: ids.memo1, category: 'other', evidence: 'x' } }), 403, 'forbidden');
    await rejects(t.anonymous.call('createFlag', { params: P(), body: { submission: ids.memo1, category: 'other', evidence: 'x' } }), 401, 'unauthorized');
    await rejects(bo.call('createFlag', { params: P(), body: { submission: 999_999, category: 'other', evidence: 'x' } }), 404, 'not_found');
    await rejects(bo.call('createFlag', { params: P(), body: { category: 'other', evidence: 'x' } as never }), 400, 'validation_failed');
    await rejects(bo.call('createFlag', { params: P(), body: { submission: ids.base, category: 'cheating' as never, evidence: 'x' } }), 400, 'validation_failed');
    await rejects(bo.call('createFlag', { params: P(), body: { submission: ids.base, category: 'other', evidence: '   ' } }), 400, 'validation_failed');
    const post = await ada.call('createPost', { params: P(), body: { title: 'My numbers', body: 'Trust me: 90 tokens/s.' } });
    const onPost = await bo.call('createFlag', { params: P(), body: { post: post.id, category: 'broken-measurement', evidence: 'no job backs this' } });
    assert.deepEqual(onPost.target, { kind: 'post', id: post.id, ref: `#p${post.id}` });
  });

  test('organizers see the whole queue, a reporter only their own flags, others none; the public event carries no evidence', async () => {
    const queue = await olga.call('listFlags', { params: P(), query: { state: 'open' } });
    assert.equal(queue.items.length, 2);
    assert.equal((await bo.call('listFlags', { params: P() })).items.length, 2);
    assert.equal((await ada.call('listFlags', { params: P() })).items.length, 0);
    await rejects(ada.call('getFlag', { params: { ...P(), id: flag } }), 403, 'forbidden');
    assert.equal((await bo.call('getFlag', { params: { ...P(), id: flag } })).id, flag);
    const page1 = await olga.call('listFlags', { params: P(), query: { limit: 1 } });
    const page2 = await olga.call('listFlags', { params: P(), query: { limit: 1, cursor: page1.nextCursor! } });
    assert.notEqual(page1.items[0]!.id, page2.items[0]!.id);
    await rejects(olga.call('listFlags', { params: P(), query: { cursor: 'forged' } }), 400, 'validation_failed');
    const events = await t.anonymous.call('listEvents', { params: P(), query: { types: 'flag.created' } });
    assert.equal(events.items.length, 2);
    assert.doesNotMatch(JSON.stringify(events.items), /table of the public prompts|loophole|memo1/);
  });

  let ruling: number;
  test('an upheld flag invalidates the named submission and every descendant with the lever; they leave the ranking and stay in the lineage', async () => {
    assert.ok((await board()).includes(ids.memo1!));
    const body = { kind: 'uphold' as const, title: 'Memorised answers are not allowed', text: 'Answering from a table is a loophole (rule 3).', flags: [flag], invalidate: { submissions: [ids.memo1!], lever: 'memo' } };
    await rejects(bo.call('createRuling', { params: P(), body }), 403, 'forbidden');
    const r = await olga.call('createRuling', { params: P(), body });
    ruling = r.id;
    assert.deepEqual(r.invalidated, [ids.memo1, ids.memo2, ids.memo3].sort((a, b) => a! - b!), 'plain has no lever; other is no descendant');
    assert.deepEqual(r.flags, [flag]);
    assert.equal((await olga.call('getFlag', { params: { ...P(), id: flag } })).state, 'upheld');

    const post = await bo.call('getPost', { params: { ...P(), id: r.postId } });
    assert.deepEqual(post.post.tags, ['ruling']);
    assert.ok(post.post.pinnedAt, 'the ruling is pinned');
    assert.equal(post.post.author, 'olga');
    const pinned = await bo.call('listThreads', { params: P(), query: { pinned: 'true' } });
    assert.deepEqual(pinned.items.map((p) => p.id), [r.postId], 'only rulings are pinned');
    assert.ok((await bo.call('listThreads', { params: P(), query: { pinned: 'false' } })).items.every((p) => p.pinnedAt === null));
    assert.match(post.post.body!, /Answering from a table/);
    assert.match(post.post.body!, new RegExp(`Invalidated: #s${ids.memo1}, #s${ids.memo2}, #s${ids.memo3}`));
    assert.doesNotMatch(post.post.body!, /@bo|table of the public prompts/, 'neither the reporter nor the evidence is published');
    assert.deepEqual(post.post.refs!.submissions.map((s) => s.id).sort(), [ids.memo1, ids.memo2, ids.memo3].sort());
    const news = await bo.call('boardNew', { params: P() });
    assert.ok(news.rulings.items.some((p) => p.id === r.postId), 'the ruling is in everyone\'s news');

    const ranked = await board();
    for (const gone of [ids.memo1, ids.memo2, ids.memo3]) assert.ok(!ranked.includes(gone!), `#s${gone} left the leaderboard`);
    for (const stays of [ids.base, ids.plain, ids.other]) assert.ok(ranked.includes(stays!), `#s${stays} stays`);
    const n = await node(ids.memo2!);
    assert.equal(n.standing.state, 'invalid');
    assert.equal(n.standing.invalidatedBy?.rulingId, r.id);
    assert.equal(n.standing.invalidatedBy?.postId, r.postId);
    assert.ok(n.badges.includes('invalid'));
    assert.equal(n.scores[0]!.rank, null, 'its score is shown, unranked');
    assert.equal((await node(ids.plain!)).standing.state, 'valid');
    const detail = await ada.call('getSubmission', { params: { ...P(), id: ids.memo1! } });
    assert.match(detail.invalidated!.reason!, /Memorised answers/);
    await rejects(bo.call('createJob', { params: P(), body: { submissionId: ids.memo2!, split: 'public' } }), 409, 'conflict');
    await rejects(olga.call('createRuling', { params: P(), body: { kind: 'dismiss', title: 'Again', text: 'x', flags: [flag] } }), 409, 'conflict');
  });

  test('dismissing a flag changes nothing else; an unknown reference in a ruling refuses it whole', async () => {
    const [open] = (await olga.call('listFlags', { params: P(), query: { state: 'open' } })).items;
    await rejects(olga.call('createRuling', { params: P(), body: { kind: 'dismiss', title: 'No', text: 'See #s999999.', flags: [open!.id] } }), 422, 'unprocessable');
    assert.equal((await olga.call('getFlag', { params: { ...P(), id: open!.id } })).state, 'open', 'nothing half-written');
    const r = await olga.call('createRuling', { params: P(), body: { kind: 'dismiss', title: 'Claims need jobs, but this is no violation', text: 'Dismissed.', flags: [open!.id] } });
    assert.deepEqual([r.invalidated, r.reinstated], [[], []]);
    assert.equal((await olga.call('getFlag', { params: { ...P(), id: open!.id } })).state, 'dismissed');
  });

  test('a later ruling reinstates what the first invalidated; they return to the ranking', async () => {
    const r = await olga.call('createRuling', { params: P(), body: { kind: 'reinstate', title: 'On appeal: the table was a cache', text: 'The table is filled at run time.', revokes: ruling } });
    assert.deepEqual(r.reinstated, [ids.memo1, ids.memo2, ids.memo3].sort((a, b) => a! - b!));
    const ranked = await board();
    for (const back of [ids.memo1, ids.memo2, ids.memo3]) assert.ok(ranked.includes(back!), `#s${back} is back`);
    assert.equal((await node(ids.memo2!)).standing.state, 'valid');
    const rulings = await t.anonymous.call('listRulings', { params: P(), query: { submission: String(ids.memo2) } });
    assert.deepEqual(rulings.items.map((x) => x.kind), ['reinstate', 'uphold']);
    await rejects(olga.call('createRuling', { params: P(), body: { kind: 'reinstate', title: 'x', text: 'x', revokes: 999_999 } }), 404, 'not_found');
  });

  test('an author withdraws their own submission: it leaves the ranking and stays in the lineage', async () => {
    await rejects(ada.call('withdrawSubmission', { params: { ...P(), id: ids.other! }, body: {} }), 403, 'forbidden');
    await rejects(olga.call('withdrawSubmission', { params: { ...P(), id: ids.other! }, body: {} }), 403, 'forbidden');
    const w = await bo.call('withdrawSubmission', { params: { ...P(), id: ids.other! }, body: { reason: 'a bug in my timing' } });
    assert.equal(w.standing.state, 'withdrawn');
    assert.equal(w.standing.withdrawn?.reason, 'a bug in my timing');
    await rejects(bo.call('withdrawSubmission', { params: { ...P(), id: ids.other! }, body: {} }), 409, 'conflict');
    assert.ok(!(await board()).includes(ids.other!));
    const n = await node(ids.other!);
    assert.deepEqual([n.standing.state, n.badges.includes('withdrawn')], ['withdrawn', true]);
    await rejects(bo.call('createJob', { params: P(), body: { submissionId: ids.other!, split: 'public' } }), 409, 'conflict');
  });

  test('the audit log lists every organizer action, for organizers only', async () => {
    await rejects(ada.call('auditLog', { params: P() }), 403, 'forbidden');
    const log = await olga.call('auditLog', { params: P(), query: { limit: 500 } });
    const types = log.items.map((e) => e.type);
    for (const ty of ['ruling.made', 'submission.invalidated', 'submission.reinstated', 'post.created']) assert.ok(types.includes(ty), ty);
    assert.ok(log.items.some((e) => e.organizer === 'olga'));
    assert.ok(!log.items.some((e) => ['ada', 'bo', 'obs'].includes(e.organizer)), 'only organizers\' actions');
    assert.ok(!types.includes('flag.created') && !types.includes('submission.withdrawn'), 'participants\' actions are not in it');
    const only = await olga.call('auditLog', { params: P(), query: { types: 'ruling.made' } });
    assert.equal(only.items.length, 3);
  });

  test('the lineage in one answer: parents, levers, authors, sponsors, scores with ranks and tiers, badges', async () => {
    const lin = await t.anonymous.call('lineage', { params: P() });
    assert.equal(lin.nodes.length, 7);
    const memo2 = lin.nodes.find((n) => n.id === ids.memo2)!;
    assert.deepEqual([memo2.parents, memo2.levers, memo2.author], [[ids.memo1], ['memo', 'int4'], 'bo']);
    const bad = lin.nodes.find((n) => n.id === ids.bad)!;
    assert.ok(bad.badges.includes('guardrail-failed'));
    assert.equal(bad.scores[0]!.rank, null);
    const top = lin.nodes.find((n) => n.id === ids.memo3)!;
    assert.equal(top.scores[0]!.rank, 1);
    assert.equal(top.scores[0]!.tier, 1);
    const sub = await t.anonymous.call('lineage', { params: P(), query: { of: `#s${ids.memo2}` } });
    assert.deepEqual(sub.nodes.map((n) => n.id), [ids.base, ids.memo1, ids.memo2, ids.plain, ids.memo3], 'ancestors and descendants only');
    await rejects(t.anonymous.call('lineage', { params: P(), query: { split: 'private' } }), 403, 'forbidden');
  });

  test('the Pareto frontier of the metric against each guardrail', async () => {
    const f = await t.anonymous.call('frontier', { params: P() });
    assert.equal(f.fronts.length, 1);
    const front = f.fronts[0]!;
    assert.equal(front.guardrail.name, 'error');
    const on = front.points.filter((p) => p.onFrontier).map((p) => p.submissionId);
    // Every ranked entry reports error 0.05 except the failing one (0.5, but fastest): both ends of the trade-off.
    assert.deepEqual(on.sort(), [ids.memo3, ids.bad].sort());
    assert.ok(!front.points.some((p) => p.submissionId === ids.other), 'withdrawn ones are left out');
  });

  test('the best verified result over time: each step a submission whose private verification says verified', async () => {
    assert.deepEqual((await t.anonymous.call('progress', { params: P() })).steps, []);
    // Private runs that tie with their public claims (a private run far below its claim diverges: decision 0140).
    const privateSamples: Record<string, number[]> = { memo1: [30.2, 29.8, 30], base: [10.1, 9.9, 10], memo3: [50.1, 49.9, 50] };
    for (const name of ['memo1', 'base', 'memo3']) {
      await olga.call('createJob', { params: P(), body: { submissionId: ids[name]!, split: 'private' } });
      await runNext(runner, privateSamples[name]!);
    }
    // The verifier decides them once their end is released (the next hour), in the order they ran.
    assert.equal((await verifyOnce(t.testDb.db, new Date(Date.now() + 2 * 3600_000))).decided.length, 3);
    const p = await t.anonymous.call('progress', { params: P() });
    assert.deepEqual(p.steps.map((s) => s.submissionId), [ids.memo1, ids.memo3], 'base was verified after memo1 and is slower: no step');
    assert.ok(p.steps[0]!.mean < p.steps[1]!.mean);
    assert.ok((await node(ids.memo1!)).badges.includes('verified'));
  });

  test('an organizer demoted later keeps their rulings in the audit log', async () => {
    await t.admin.call('setRole', { params: { ...P(), handle: 'olga' }, body: { role: 'participant' } });
    const log = await t.admin.call('auditLog', { params: P(), query: { limit: 500 } });
    assert.equal(log.items.filter((e) => e.type === 'ruling.made' && e.organizer === 'olga').length, 3);
    assert.ok(!log.items.some((e) => e.organizer === 'olga' && e.type === 'post.created'), 'her ordinary actions now read as a participant\'s');
  });
});

describe('integrity: the schedule', () => {
  let t: TestServer;
  const tmp = tempDir('agora-schedule-');
  const hour = 3600_000;
  const iso = (ms: number) => new Date(Date.now() + ms).toISOString();
  before(async () => {
    t = await startTestServer();
  });
  after(async () => {
    await t.close();
    tmp.dispose();
  });

  async function collabWith(slug: string, schedule: string): Promise<{ slug: string; member: AgoraClient }> {
    const dir = writeFixtureChallenge(join(tmp.path, slug), `schedule: ${schedule}\n`);
    await t.admin.call('createCollaboration', { body: { challengeDir: dir, slug } });
    const invite = await t.admin.call('createInvite', { params: { collab: slug }, body: { role: 'participant' } });
    const reg = await t.anonymous.call('register', { body: { handle: `p-${slug}`, owner: 'o', model: 'm', invite: invite.code } });
    return { slug, member: new AgoraClient({ url: t.url, apiKey: reg.key.apiKey }) };
  }
  const files = [{ path: 'serve.py', content: 'print(1)\n' }];

  test('before the start nothing is submitted; the schedule says when it starts', async () => {
    const { slug, member } = await collabWith('later', `{ start: "${iso(hour)}" }`);
    const err = await rejects(member.call('createSubmission', { params: { collab: slug }, body: { title: 'early', files } }), 409, 'conflict');
    assert.match(err.message, /starts at/);
    assert.equal((await member.call('schedule', { params: { collab: slug } })).phase, 'not-started');
  });

  test('after the freeze others see only what was scored before it; organizers see everything', async () => {
    const { slug, member } = await collabWith('frozen', `{ freeze: "${iso(-hour)}", end: "${iso(hour)}" }`);
    const s = await member.call('createSubmission', { params: { collab: slug }, body: { title: 'late', files } });
    await member.call('createJob', { params: { collab: slug }, body: { submissionId: s.submission.id, split: 'public' } });
    const runner = (await newRunner(t, ['cpu'], 'r-frozen')).client;
    await runNext(runner, [5, 5, 5]);
    assert.equal((await member.call('leaderboard', { params: { collab: slug } })).items.length, 0, 'scored after the freeze');
    assert.equal((await t.admin.call('leaderboard', { params: { collab: slug } })).items.length, 1);
    assert.equal((await member.call('schedule', { params: { collab: slug } })).phase, 'frozen');
  });

  test('after the end: no new work; final standings wait for verification, then are published once and never change', async () => {
    const end = iso(-hour);
    const { slug, member } = await collabWith('ended', `{ end: "${end}" }`);
    const P = { collab: slug };
    await rejects(member.call('createSubmission', { params: P, body: { title: 'too late', files } }), 409, 'conflict');
    await rejects(member.call('finalizeStandings', { params: P, body: {} }), 403, 'forbidden');
    await rejects(member.call('finalStandings', { params: P }), 404, 'not_found');
    // Scored before the end (time travel: the organizer submits now, the results are dated before the end).
    const runner = (await newRunner(t, ['cpu'], 'r-ended')).client;
    const entries: number[] = [];
    for (const [title, samples] of [['fast', [20, 20.2, 19.8]], ['slow', [10, 10.1, 9.9]], ['overfit', [30, 30.1, 29.9]]] as const) {
      const s = await t.admin.call('createSubmission', { params: P, body: { title, files: [{ path: 'serve.py', content: `print("${title}")\n` }] } });
      entries.push(s.submission.id);
      await t.admin.call('createJob', { params: P, body: { submissionId: s.submission.id, split: 'public' } });
      await runNext(runner, [...samples]);
    }
    await t.testDb.db.query(`update results set created_at = $1::timestamptz - interval '1 minute' where submission_id = any($2::int[])`, [end, entries]);
    const waiting = await t.admin.call('finalizeStandings', { params: P, body: {} });
    assert.equal(waiting.standings, null);
    assert.deepEqual(waiting.unverified.map((u) => u.submissionId).sort(), [...entries].sort());
    assert.equal(waiting.queuedJobs.length, 3, 'a private verification job for each ranked entry');
    assert.deepEqual((await t.admin.call('finalizeStandings', { params: P, body: {} })).queuedJobs, [], 'none queued twice');
    // Verification: fast holds its figure in private; slow passes its guardrails but runs at a
    // tenth of its public figure; the overfit one fails its private guardrail.
    const privateSamples = new Map([[entries[0], [20.1, 19.9, 20]], [entries[1], [1, 1.01, 0.99]], [entries[2], [30, 30, 30]]]);
    for (const id of waiting.queuedJobs) {
      const job = await t.admin.call('getJob', { params: { ...P, id } });
      assert.deepEqual([job.split, job.charged], ['private', false]);
      await runNext(runner, privateSamples.get(job.submissionId)!, undefined, job.submissionId !== entries[2]);
    }
    const undecided = await t.admin.call('finalizeStandings', { params: P, body: {} });
    assert.deepEqual([undecided.standings, undecided.unverified.length, undecided.queuedJobs], [null, 3, []], 'ended runs count once the verifier has decided them, and are not queued again');
    assert.equal((await t.verify()).decided.length, 3);
    // The verdicts decide, as on the leaderboard: slow's guardrails passed, yet it diverged on the metric.
    const done = await t.admin.call('finalizeStandings', { params: P, body: {} });
    assert.deepEqual(done.standings!.entries.map((e) => [e.place, e.submissionId]), [[1, entries[0]]]);
    const post = await member.call('getPost', { params: { collab: slug, id: done.standings!.postId } });
    assert.match(post.post.body!, /final standings/);
    await rejects(t.admin.call('finalizeStandings', { params: P, body: {} }), 409, 'conflict');
    assert.deepEqual((await member.call('finalStandings', { params: P })).entries, done.standings!.entries);
  });
});
