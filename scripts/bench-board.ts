/**
 * `npm run bench:board`: how each read's latency grows with the collaboration's history, at 1,000,
 * 10,000 and 100,000 posts (and twice as many results: 2,000, 20,000, 200,000, over 200 submissions
 * at every size, so the leaderboard returns as much at each size), on PGlite and on PostgreSQL
 * (skipped when unreachable). Each size is a fresh migrated database seeded by generate_series
 * (seedLargeBoard, seedResults) and ANALYZEd; each read runs through its operation (what the HTTP
 * handler calls, without HTTP). The sizes are measured interleaved (one run of each size in turn,
 * 10 warm-up rounds then BENCH_ITER rounds; 1 and 5 for the computed score reads), so a shared
 * machine's load falls on every size alike.
 * Prints a markdown table with the 100k/1k ratio per read (issue 13's target: ≤ 2).
 * BENCH_SIZES=1000,10000 and BENCH_ENGINES=pglite narrow the run.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseChallenge } from '@agora/core';
import { seedResults } from '@agora/store/bench';
import { seedLargeBoard } from '@agora/store/board';
import { openTestDb, type TestDb } from '@agora/store/testing';
import type { Actor } from '../packages/server/src/auth.ts';
import * as board from '../packages/server/src/operations/board.ts';
import { lineage } from '../packages/server/src/operations/integrity-views.ts';
import { leaderboardOf } from '../packages/server/src/operations/leaderboard.ts';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const ENGINES = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;
const ITER = Number(process.env.BENCH_ITER ?? 50);

const CHALLENGE = parseChallenge(`id: bench
title: Bench challenge
rules: Bench.
metric: { name: score, unit: points, direction: maximize }
guardrails:
  - { name: error, op: "<=", threshold: 0.1 }
hardware: [cpu]
quota: { jobs_per_day: 10 }
repeats: 3
harness: { command: ["node", "harness.ts"] }
`);

type Reads = Record<string, () => Promise<unknown>>;

/** A seeded database of `posts` posts and 2 × `posts` results, and the reads to time on it. */
async function prepare(engine: 'pglite' | 'postgres', posts: number): Promise<{ t: TestDb; reads: Reads }> {
  process.env.AGORA_TEST_ENGINE = engine;
  const t = await openTestDb();
  const s = await seedLargeBoard(t.db, { posts });
  await t.db.transaction((tx) => seedResults(tx, {
    collaborationId: s.collaborationId, authorIds: s.agentIds, submissions: 200, results: 2 * posts, hardwareClass: 'cpu',
    metric: { name: 'score', unit: 'points', direction: 'maximize' }, challenge: CHALLENGE,
  }));
  await t.db.query('analyze');
  const actor = (id: number): Actor => ({ participantId: id, handle: `a${id}`, isAdmin: false, keyId: 'bench' });
  const fresh = actor(s.agentIds[0]!);
  const caughtUp = actor(s.agentIds[1]!);
  const [{ id: top }] = (await t.db.query<{ id: number }>('select max(id) as id from posts')) as [{ id: number }];
  await board.markRead({ db: t.db, actor: caughtUp }, s.slug, top - 50);
  const ctx = { db: t.db, actor: fresh };
  return {
    t,
    reads: {
      'new for me (nothing read)': () => board.newForMe(ctx, s.slug, 20),
      'new for me (50 new posts)': () => board.newForMe({ db: t.db, actor: caughtUp }, s.slug, 20),
      'thread page (50 replies)': () => board.readThread(ctx, s.slug, s.busyThreadId, { afterId: 0, limit: 50 }),
      'threads list': () => board.listThreads(ctx, s.slug, { tag: null, author: null, beforeId: null, limit: 20 }),
      'threads tagged ruling': () => board.listThreads(ctx, s.slug, { tag: 'ruling', author: null, beforeId: null, limit: 20 }),
      'search (rare phrase)': () => board.searchPosts(ctx, s.slug, { q: '"Reply 900"', tag: null, offset: 0, limit: 20 }),
      'search (common words)': () => board.searchPosts(ctx, s.slug, { q: 'speculative decoding', tag: null, offset: 0, limit: 20 }),
      // The score reads twice: computed (as right after a result lands: a fresh handle has an empty
      // cache, read-cache.ts) and cached (nothing landed since), in the same run.
      'leaderboard, computed (200 entries)': () => leaderboardOf({ ...ctx, db: { ...t.db } }, s.slug, 'public', null),
      'leaderboard, cached': () => leaderboardOf(ctx, s.slug, 'public', null),
      'lineage, computed (200 submissions)': () => lineage({ ...ctx, db: { ...t.db } }, s.slug, { split: 'public' }),
      'lineage, cached': () => lineage(ctx, s.slug, { split: 'public' }),
    },
  };
}

/** Median per size of one read, the sizes taken in turn each round (computed score reads take seconds at 200k results: fewer rounds). */
async function interleaved(fns: Array<() => Promise<unknown>>, heavy: boolean): Promise<number[]> {
  const [warm, rounds] = heavy ? [1, Math.min(ITER, 5)] : [10, ITER];
  const ms: number[][] = fns.map(() => []);
  for (let round = 0; round < warm + rounds; round++) {
    for (const [i, fn] of fns.entries()) {
      const t0 = performance.now();
      await fn();
      if (round >= warm) ms[i]!.push(performance.now() - t0);
    }
  }
  return ms.map((xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!);
}

async function reachable(engine: 'pglite' | 'postgres'): Promise<boolean> {
  if (engine === 'pglite') return true;
  process.env.AGORA_TEST_ENGINE = 'postgres';
  try {
    await (await openTestDb()).dispose();
    return true;
  } catch {
    return false;
  }
}

const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}; median of ${ITER} interleaved rounds, ms; ${new Date().toISOString()}, load average ${load()}\n`);
for (const engine of ENGINES) {
  if (!(await reachable(engine))) {
    console.log(`${engine}: not reachable, skipped\n`);
    continue;
  }
  const dbs = [];
  for (const n of SIZES) dbs.push(await prepare(engine, n));
  try {
    const first = SIZES[0]!;
    const last = SIZES.at(-1)!;
    console.log(`| ${engine} | ${SIZES.map((n) => `${n.toLocaleString('en')} posts`).join(' | ')} | ${last / 1000}k / ${first / 1000}k |`);
    console.log(`| --- | ${SIZES.map(() => '---:').join(' | ')} | ---: |`);
    for (const name of Object.keys(dbs[0]!.reads)) {
      const v = await interleaved(dbs.map((d) => d.reads[name]!), name.includes('computed'));
      console.log(`| ${name} | ${v.map((x) => x.toFixed(2)).join(' | ')} | ${(v.at(-1)! / v[0]!).toFixed(2)} |`);
    }
    console.log(`\n(${engine} done at ${new Date().toISOString()}, load average ${load()})\n`);
  } finally {
    for (const d of dbs) await d.t.dispose();
  }
}
