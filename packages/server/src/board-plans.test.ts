import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '@agora/store';
import { parseChallenge } from '@agora/core';
import { seedEvents, seedResults } from '@agora/store/bench';
import { NEW_FOR_ME_COUNT_CAP, seedLargeBoard, type SeededBoard } from '@agora/store/board';
import { openTestDb, type TestDb } from '@agora/store/testing';
import type { Actor } from './auth.ts';
import * as board from './operations/board.ts';
import { frontier, lineage, progress } from './operations/integrity-views.ts';
import { leaderboardOf } from './operations/leaderboard.ts';

/**
 * Every board read on a large board (12,000 posts, seeded by generate_series, then ANALYZE) runs
 * with each of its statements EXPLAINed first: a sequential scan of posts, post_edges or
 * post_revisions fails the test, on both engines. The score reads (leaderboard, lineage,
 * frontier, progress) read every scored result of their collaboration by definition; here the
 * results, jobs, submissions and events tables hold another collaboration's long history as well
 * (12,000 results of 6,000 submissions, 12,000 events), and a sequential scan of them fails: a read's cost follows its own
 * collaboration, never the table. It checks plans, not time (issue 13).
 */
const LARGE_TABLES = new Set(['posts', 'post_edges', 'post_revisions', 'results', 'jobs', 'events', 'submissions']);

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

const seqScans = (n: PlanNode): string[] => [
  ...(n['Node Type'] === 'Seq Scan' && n['Relation Name'] && LARGE_TABLES.has(n['Relation Name']) ? [n['Relation Name']] : []),
  ...(n.Plans ?? []).flatMap(seqScans),
];

/** A Db that EXPLAINs each read statement before running it, and keeps what it found. */
function explaining(db: Db, found: Array<{ sql: string; scans: string[] }>): Db {
  return {
    ...db,
    async query<T>(sql: string, params?: unknown[]) {
      if (/^\s*(select|with)\b/i.test(sql)) {
        const [row] = await db.query<Record<string, unknown>>(`explain (format json) ${sql}`, params);
        const raw = Object.values(row!)[0];
        const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
        found.push({ sql, scans: seqScans(plan[0]!.Plan) });
      }
      return db.query<T>(sql, params);
    },
  };
}

const CHALLENGE = `id: plans
title: Plans
rules: Plans.
metric: { name: score, unit: points, direction: maximize }
guardrails:
  - { name: error, op: "<=", threshold: 0.1 }
hardware: [cpu]
quota: { jobs_per_day: 10 }
repeats: 3
harness: { command: ["node", "harness.ts"] }
`;

describe('board and score reads use indexes on a large board', () => {
  let t: TestDb;
  let seeded: SeededBoard;
  let reader: Actor;
  let caughtUp: Actor;

  before(async () => {
    t = await openTestDb();
    // The other collaboration first, so that the large board's posts are the newest.
    const other = await seedLargeBoard(t.db, { posts: 100, agents: 10, slug: 'other-history' });
    seeded = await seedLargeBoard(t.db, { posts: 12_000 });
    const challenge = parseChallenge(CHALLENGE);
    const results = (collaborationId: number, authorIds: number[], submissions: number, n: number) =>
      t.db.transaction((tx) => seedResults(tx, { collaborationId, authorIds, submissions, results: n, hardwareClass: 'cpu', metric: challenge.metric, challenge }));
    await results(other.collaborationId, other.agentIds, 6_000, 12_000);
    await seedEvents(t.db, other.collaborationId, 12_000);
    await results(seeded.collaborationId, seeded.agentIds, 40, 400);
    await seedEvents(t.db, seeded.collaborationId, 400);
    await t.db.query('analyze');
    const actor = (id: number): Actor => ({ participantId: id, handle: `p${id}`, isAdmin: false, keyId: 'bench' });
    reader = actor(seeded.agentIds[0]!);
    caughtUp = actor(seeded.agentIds[1]!);
    await board.markRead({ db: t.db, actor: caughtUp }, seeded.slug, (await t.db.query<{ id: number }>('select max(id) - 50 as id from posts'))[0]!.id);
  });
  after(async () => t?.dispose());

  const reads: Array<[string, (ctx: board.OperationCtx) => Promise<unknown>]> = [
    ['new for me, nothing read yet', (ctx) => board.newForMe({ ...ctx, actor: reader }, seeded.slug, 20)],
    ['new for me, caught up but for the last 50 posts', (ctx) => board.newForMe({ ...ctx, actor: caughtUp }, seeded.slug, 20)],
    ['a thread page', (ctx) => board.readThread(ctx, seeded.slug, seeded.busyThreadId, { afterId: 0, limit: 50 })],
    ['a thread page further on', (ctx) => board.readThread(ctx, seeded.slug, seeded.busyThreadId, { afterId: seeded.busyThreadId + 10_000, limit: 50 })],
    ['threads, newest first', (ctx) => board.listThreads(ctx, seeded.slug, { tag: null, author: null, beforeId: null, limit: 20 })],
    ['threads tagged ruling', (ctx) => board.listThreads(ctx, seeded.slug, { tag: 'ruling', author: null, beforeId: null, limit: 20 })],
    ['search', (ctx) => board.searchPosts(ctx, seeded.slug, { q: 'speculative decoding', tag: null, offset: 0, limit: 20 })],
    ['search, a rare word', (ctx) => board.searchPosts(ctx, seeded.slug, { q: '"Reply 1900"', tag: null, offset: 0, limit: 20 })],
    ['revisions of a post', (ctx) => board.listPostRevisions(ctx, seeded.slug, seeded.busyThreadId, { beforeRevision: null, limit: 20 })],
    // A fresh Db object each: the score reads' cache (read-cache.ts) is per handle, so each computes.
    ['the leaderboard', (ctx) => leaderboardOf({ ...ctx, db: { ...ctx.db } }, seeded.slug, 'public', null)],
    ['the lineage', (ctx) => lineage({ ...ctx, db: { ...ctx.db } }, seeded.slug, { split: 'public' })],
    ['the frontier', (ctx) => frontier({ ...ctx, db: { ...ctx.db } }, seeded.slug, { split: 'public' })],
    ['progress', (ctx) => progress({ ...ctx, db: { ...ctx.db } }, seeded.slug, {})],
  ];

  for (const [what, read] of reads) {
    test(`${what}: no sequential scan of a large table`, async () => {
      const found: Array<{ sql: string; scans: string[] }> = [];
      await read({ db: explaining(t.db, found), actor: reader });
      assert.ok(found.length > 0, 'the read ran statements');
      for (const f of found) assert.deepEqual(f.scans, [], `sequential scan of ${f.scans.join(', ')} in:\n${f.sql}`);
    });
  }

  test('the answers are right on the large board', async () => {
    const { news } = await board.newForMe({ db: t.db, actor: reader }, seeded.slug, 20);
    assert.equal(news.since, 0);
    assert.equal(news.newThreads.items.length, 20);
    const [threads] = await t.db.query<{ n: number }>(
      'select count(*)::int as n from posts where collaboration_id = $1 and thread_id is null and author_id <> $2', [seeded.collaborationId, reader.participantId]);
    assert.ok(threads!.n > NEW_FOR_ME_COUNT_CAP);
    assert.equal(news.newThreads.total, NEW_FOR_ME_COUNT_CAP);
    assert.ok(news.newThreads.capped, 'more new threads than the cap: the count stops there and says so');
    assert.ok(news.newThreads.items.every((p) => p.thread_id === null && p.author_id !== reader.participantId));
    assert.ok(news.repliesToMe.total > 0);
    const [mine] = await t.db.query<{ n: number }>(
      `select count(*)::int as n from posts r join posts par on par.id = r.reply_to join posts th on th.id = r.thread_id
       where r.collaboration_id = $1 and r.author_id <> $2 and r.hidden_at is null and (par.author_id = $2 or th.author_id = $2)`,
      [seeded.collaborationId, reader.participantId]);
    assert.equal(news.repliesToMe.total, Math.min(mine!.n, NEW_FOR_ME_COUNT_CAP), 'replies to me counted through the parent authors kept by migration 0007, once each');
    assert.equal(news.repliesToMe.capped, mine!.n > NEW_FOR_ME_COUNT_CAP);
    const [mentions] = await t.db.query<{ n: number }>(
      `select count(*)::int as n from post_edges e join posts p on p.id = e.post_id
       where e.kind = 'mention' and e.target_id = $2 and p.collaboration_id = $1 and p.author_id <> $2 and p.hidden_at is null`,
      [seeded.collaborationId, reader.participantId]);
    assert.ok(mentions!.n > 0 && mentions!.n <= NEW_FOR_ME_COUNT_CAP, 'the seed mentions the reader, under the cap');
    assert.equal(news.mentionsOfMe.total, mentions!.n, 'mentions walked from the edges');
    assert.deepEqual(news.mentionsOfMe.items.map((p) => p.id), [...news.mentionsOfMe.items.map((p) => p.id)].sort((a, b) => a - b));
    assert.ok(news.rulings.items.every((p) => p.tags.includes('ruling')) && news.rulings.total === 3);
    const late = await board.newForMe({ db: t.db, actor: caughtUp }, seeded.slug, 20);
    assert.ok(late.news.since > 0 && late.news.upTo - late.news.since === 50);
  });
});
