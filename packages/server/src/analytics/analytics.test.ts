// Issue 15's done-when, against a real server: the simulator (packages/sdk/src/simulate) plants
// relays, sponsored runs, a flagged loophole and a ruling; what it says it planted is in the API's
// own answers; the same seed replays it; and the analytics find exactly those.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AgoraClient } from '@agora/sdk';
import { scoreAnalytics, simulate, type GroundTruth, type SimulationReport } from '@agora/sdk/simulate';
import { startTestServer, writeFixtureChallenge, type TestServer } from '../testing.ts';

let t: TestServer;
let one: SimulationReport;
before(async () => {
  t = await startTestServer();
  one = await simulate({ url: t.url, organizerKey: t.admin.apiKey!, collab: t.collab, agents: 6, hours: 0.5, seed: 42, handlePrefix: 'a' });
});
after(() => t?.close());

/** The truth with ids made relative to the run's first of each kind and handles without their prefix. */
function normalised(truth: GroundTruth, prefix: string) {
  const s = Math.min(...truth.frontierSteps);
  const j = Math.min(...truth.sponsoredRuns.map((r) => r.jobId), Infinity);
  const p = Math.min(...truth.relays.flatMap((r) => r.posts));
  const h = (x: string) => x.replace(`${prefix}-`, '');
  return {
    agents: truth.agents.map(h),
    relays: truth.relays.map((r) => ({ frontier: r.frontier - s, chain: r.chain.map((x) => x - s), participants: r.participants.map(h), posts: r.posts.map((x) => x - p) })),
    sponsored: truth.sponsoredRuns.map((r) => ({ job: r.jobId - j, submission: r.submissionId - s, sponsor: h(r.sponsor), author: h(r.author) })),
    loophole: truth.loophole && { submission: truth.loophole.submissionId - s, author: h(truth.loophole.author), reporter: h(truth.loophole.reporter) },
    frontier: truth.frontierSteps.map((x) => x - s),
    refusals: truth.refusals.map((r) => ({ ...r, who: h(r.who) })),
    counts: truth.counts,
  };
}

test('a seeded simulation plants what it reports, and the same seed replays it', { timeout: 180_000 }, async () => {
  const truth = one.truth;
  assert.equal(truth.agents.length, 6);
  assert.equal(truth.relays.length, 1);
  assert.ok(truth.sponsoredRuns.length >= 1);

  // The relay is in the lineage: each link lists the one before as its parent, by four distinct agents.
  const relay = truth.relays[0]!;
  const lineage = await t.anonymous.call('lineage', { params: { collab: t.collab } });
  const node = (id: number) => lineage.nodes.find((n) => n.id === id)!;
  for (let i = 1; i < relay.chain.length; i++) assert.deepEqual(node(relay.chain[i]!).parents, [relay.chain[i - 1]]);
  assert.equal(new Set(relay.participants).size, 4);
  // Sponsored runs are jobs whose sponsor is not the author.
  for (const r of truth.sponsoredRuns) {
    const job = await t.anonymous.call('getJob', { params: { collab: t.collab, id: r.jobId } });
    assert.equal(job.sponsor?.handle, r.sponsor);
    assert.equal(job.originator.handle, r.author);
  }
  // The loophole was flagged, upheld, and its submission is invalid.
  const l = truth.loophole!;
  const flag = await t.admin.call('getFlag', { params: { collab: t.collab, id: l.flagId } });
  assert.equal(flag.state, 'upheld');
  assert.equal(flag.reporter, l.reporter);
  assert.equal(node(l.submissionId).standing.state, 'invalid');
  // The rule breaks were refused with typed errors.
  assert.ok(truth.refusals.length >= 1 && truth.refusals.every((r) => r.status === 403));

  // The same seed into a fresh collaboration: the same story, ids shifted by what came before.
  const c2 = await t.admin.call('createCollaboration', { body: { challengeDir: writeFixtureChallenge(join(t.dataDir, '..', 'challenge-2')), slug: 'replay' } });
  const two = await simulate({ url: t.url, organizerKey: t.admin.apiKey!, collab: c2.slug, agents: 6, hours: 0.5, seed: 42, handlePrefix: 'b' });
  assert.deepEqual(normalised(two.truth, 'b'), normalised(truth, 'a'));
});

test('the analytics find exactly what was planted: relays, sponsored runs, the flagged loophole, the ruling', { timeout: 60_000 }, async () => {
  const q = { params: { collab: t.collab } };
  const [relays, graph, timeline] = await Promise.all([t.admin.call('relays', q), t.admin.call('interactionGraph', q), t.admin.call('analyticsTimeline', q)]);
  const score = scoreAnalytics(one.truth, { relays, graph, timeline });
  for (const [what, m] of Object.entries(score)) {
    assert.ok(m.planted > 0, `${what}: something was planted`);
    assert.deepEqual({ what, precision: m.precision, recall: m.recall, missed: m.missed, extra: m.extra }, { what, precision: 1, recall: 1, missed: [], extra: [] });
  }
  // The invalid loophole is not a frontier step, though it scored three times the best.
  assert.ok(!timeline.steps.some((s) => s.submissionId === one.truth.loophole!.submissionId));
});

test('flags are the organizers\' business: others get the graph without flagged edges', { timeout: 30_000 }, async () => {
  const agent = new AgoraClient({ url: t.url, apiKey: one.agents[0]!.apiKey });
  const g = await agent.call('interactionGraph', { params: { collab: t.collab } });
  assert.equal(g.includesFlags, false);
  assert.ok(!g.edges.some((e) => e.kind === 'flagged'));
  assert.ok(g.edges.some((e) => e.kind === 'ruled'), 'rulings are public');
  const anon = await t.anonymous.call('interactionGraph', { params: { collab: t.collab }, query: { kinds: ['reply', 'ran-for'] } as never });
  assert.ok(anon.edges.length > 0 && anon.edges.every((e) => e.kind === 'reply' || e.kind === 'ran-for'));
});

test('a time window keeps what happened inside it; measures add up', { timeout: 30_000 }, async () => {
  const all = await t.admin.call('interactionGraph', { params: { collab: t.collab } });
  const times = all.edges.flatMap((e) => [e.firstAt, e.lastAt]).sort();
  const mid = times[Math.floor(times.length / 2)]!;
  const [early, late] = await Promise.all([
    t.admin.call('interactionGraph', { params: { collab: t.collab }, query: { to: mid } }),
    t.admin.call('interactionGraph', { params: { collab: t.collab }, query: { from: mid } }),
  ]);
  const weight = (g: typeof all) => g.edges.reduce((s, e) => s + e.weight, 0);
  assert.equal(weight(early) + weight(late), weight(all));
  assert.ok(early.edges.every((e) => e.lastAt < mid) && late.edges.every((e) => e.firstAt >= mid));
  await assert.rejects(t.admin.call('interactionGraph', { params: { collab: t.collab }, query: { from: mid, to: mid } }), /window is empty/);

  const m = await t.admin.call('analyticsMeasures', { params: { collab: t.collab } });
  const sum = (k: 'posts' | 'submissions' | 'jobsForOthers' | 'frontierSteps') => m.participants.reduce((s, p) => s + p[k], 0);
  const truth = one.truth;
  assert.equal(sum('posts'), truth.counts.posts + 1, 'the agents\' posts and the ruling\'s');
  assert.equal(sum('submissions'), truth.counts.submissions);
  assert.equal(sum('jobsForOthers'), truth.sponsoredRuns.length);
  assert.equal(sum('frontierSteps'), truth.frontierSteps.length);
  assert.ok(Math.abs(m.participants.reduce((s, p) => s + p.pagerank, 0) - 1) < 1e-9);
  assert.ok(m.lineage.crossAuthor > 0 && m.lineage.crossAuthorShare! > 0 && m.lineage.crossAuthorShare! <= 1);
});
