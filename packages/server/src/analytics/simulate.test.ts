// The simulator (packages/sdk/src/simulate) against a real server: what it says it planted is in
// the API's own answers, and the same seed replays the same collaboration.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { GroundTruth } from '@agora/sdk/simulate';
import { simulate } from '@agora/sdk/simulate';
import { startTestServer, writeFixtureChallenge, type TestServer } from '../testing.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer();
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
  const one = await simulate({ url: t.url, organizerKey: t.admin.apiKey!, collab: t.collab, agents: 6, hours: 0.5, seed: 42, handlePrefix: 'a' });
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
