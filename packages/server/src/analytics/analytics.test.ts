// Issue 15's done-when, against a real server: the simulator (packages/sdk/src/simulate) plants
// relays, sponsored runs, a flagged loophole and a ruling; what it says it planted is in the API's
// own answers; the same seed replays it; the analytics find exactly those; and an export imports
// into a fresh database as the same collaboration.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliEnv, runCli } from '@agora/cli/testing';
import { openDb } from '@agora/store';
import { readExportTables } from '@agora/store/export';
import { testDatabaseTarget } from '@agora/store/testing';
import { startServer } from '../server.ts';
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

test('a seeded simulation plants what it reports', { timeout: 180_000 }, async () => {
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
});

const long = process.env.AGORA_LONG_TESTS === '1';
test('the same seed replays the same collaboration', { timeout: 180_000, skip: !long && 'long variant: AGORA_LONG_TESTS=1' }, async () => {
  // The same seed into a fresh collaboration: the same story, ids shifted by what came before.
  const truth = one.truth;
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

test('export, import, export: nothing lost; the CSV reads with a CSV parser, the JSON Lines line by line', { timeout: 180_000 }, async () => {
  const dir = join(t.dataDir, '..', 'export');
  const env = cliEnv(join(dir, 'config.json'), { AGORA_URL: t.url, AGORA_API_KEY: t.admin.apiKey!, AGORA_COLLAB: t.collab });
  const exported = await runCli(['export', '--out', dir, '--private', '--json'], env);
  assert.equal(exported.code, 0, exported.stderr);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.private, true);
  assert.ok(manifest.tables.find((x: { name: string }) => x.name === 'flags').private);
  const original = await t.admin.call('exportCollaboration', { params: { collab: t.collab }, query: { private: 'true' } as never });
  const publicBefore = await t.admin.call('exportCollaboration', { params: { collab: t.collab } });

  // JSON Lines: one row a line, the same rows the API answered.
  for (const table of original.tables) {
    const lines = readFileSync(join(dir, `${table.name}.jsonl`), 'utf8').split('\n').filter((l) => l !== '');
    assert.deepEqual(lines.map((l) => JSON.parse(l)), table.rows, table.name);
  }
  // CSV through Python's csv module: the header and every field as text (arrays and objects as JSON, null empty).
  const csv = JSON.parse(execFileSync('python3', ['-c', `
import csv, json, os, sys
out = {}
for f in sorted(os.listdir(sys.argv[1])):
    if f.endswith('.csv'):
        with open(os.path.join(sys.argv[1], f), newline='', encoding='utf-8') as fh:
            out[f[:-4]] = list(csv.reader(fh))
print(json.dumps(out))`, dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  const text = (v: unknown) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  for (const table of original.tables) {
    const [header, ...rows] = csv[table.name] as string[][];
    assert.deepEqual(header ?? [], table.columns, table.name);
    assert.deepEqual(rows, table.rows.map((r) => table.columns.map((c) => text(r[c]))), table.name);
  }

  // Import into a fresh database through the CLI, then read it back: the same rows, the same analytics.
  const target = await testDatabaseTarget();
  const imported = await runCli(['import', dir, '--database', target.target, '--json'], env);
  assert.equal(imported.code, 0, imported.stderr);
  // The same import again is refused whole: nothing is half-written (the read-back below proves it).
  const again = await runCli(['import', dir, '--database', target.target], env);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /import_failed: nothing was written/);
  const db = await openDb(target.target);
  let server: Awaited<ReturnType<typeof startServer>> | null = null;
  try {
    // Read back before a server runs on it (its verifier may queue work of its own): the rows imported are the rows exported.
    const collabId = (original.tables.find((x) => x.name === 'collaborations')!.rows[0] as { id: number }).id;
    const after = await readExportTables(db, collabId, { private: true });
    assert.deepEqual(after.map((x) => [x.name, x.rows]), original.tables.map((x) => [x.name, x.rows]));
    const publicAfter = await readExportTables(db, collabId, { private: false });
    assert.deepEqual(publicAfter.map((x) => [x.name, x.rows]), publicBefore.tables.map((x) => [x.name, x.rows]));
    server = await startServer({ db, dataDir: join(dir, 'data') });
    // Observers read the copy as the original (no keys travel: `agora admin-key` makes one).
    const copy = new AgoraClient({ url: server.url });
    for (const name of ['interactionGraph', 'analyticsMeasures', 'analyticsTimeline', 'lineage', 'leaderboard', 'listThreads'] as const) {
      const q = { params: { collab: t.collab } } as never;
      assert.deepEqual(await copy.call(name, q), await t.anonymous.call(name, q), name);
    }
  } finally {
    await server?.close();
    await db.close();
    await target.dispose();
  }
});

test('a public export leaves out private data; a pseudonymised one replaces every handle consistently', { timeout: 60_000 }, async () => {
  const agent = new AgoraClient({ url: t.url, apiKey: one.agents[0]!.apiKey });
  await assert.rejects(agent.call('exportCollaboration', { params: { collab: t.collab }, query: { private: 'true' } as never }), /organizers only/);
  const pub = await t.anonymous.call('exportCollaboration', { params: { collab: t.collab } });
  assert.equal(pub.manifest.private, false);
  assert.ok(!pub.tables.some((x) => x.name === 'flags'));
  const p = await t.admin.call('exportCollaboration', { params: { collab: t.collab }, query: { pseudonymise: 'true' } as never });
  const all = JSON.stringify(p.tables);
  for (const h of one.truth.agents) assert.ok(!new RegExp(`(?<![a-z0-9_-])${h}(?![a-z0-9_-])`).test(all), `${h} is gone`);
  const handles = p.tables.find((x) => x.name === 'participants')!.rows.map((r) => r.handle as string);
  assert.equal(new Set(handles).size, handles.length);
  // Mentions point at the same pseudonyms as the participants table.
  const mentions = p.tables.find((x) => x.name === 'post_edges')!.rows.filter((r) => r.kind === 'mention').map((r) => r.target as string);
  assert.ok(mentions.length > 0 && mentions.every((m) => handles.includes(m)));
});
