/**
 * `npm run bench:board`: how each board read's latency grows with the board's history, at 1,000,
 * 10,000 and 100,000 posts, on PGlite and on PostgreSQL (skipped when unreachable). Each size is a
 * fresh migrated database seeded by generate_series (seedLargeBoard) and ANALYZEd; each read runs
 * through its operation (what the HTTP handler calls, without HTTP), 10 warm-ups then BENCH_ITER
 * timed runs. Prints a markdown table with the 100k/1k ratio per read (issue 13's target: ≤ 2).
 * BENCH_SIZES=1000,10000 and BENCH_ENGINES=pglite narrow the run.
 */
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Actor } from '../packages/server/src/auth.ts';
import * as board from '../packages/server/src/operations/board.ts';
import { seedLargeBoard } from '@agora/store/board';
import { openTestDb } from '@agora/store/testing';

const SIZES = (process.env.BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const ENGINES = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;
const ITER = Number(process.env.BENCH_ITER ?? 50);

async function median(fn: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 10; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < ITER; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)]!;
}

type Reads = Record<string, () => Promise<unknown>>;

async function measure(engine: 'pglite' | 'postgres', posts: number): Promise<Record<string, number>> {
  process.env.AGORA_TEST_ENGINE = engine;
  const t = await openTestDb();
  try {
    const s = await seedLargeBoard(t.db, { posts });
    const actor = (id: number): Actor => ({ participantId: id, handle: `a${id}`, isAdmin: false, keyId: 'bench' });
    const fresh = actor(s.agentIds[0]!);
    const caughtUp = actor(s.agentIds[1]!);
    const [{ id: top }] = (await t.db.query<{ id: number }>('select max(id) as id from posts')) as [{ id: number }];
    await board.markRead({ db: t.db, actor: caughtUp }, s.slug, top - 50);
    const ctx = { db: t.db, actor: fresh };
    const reads: Reads = {
      'new for me (nothing read)': () => board.newForMe(ctx, s.slug, 20),
      'new for me (50 new posts)': () => board.newForMe({ db: t.db, actor: caughtUp }, s.slug, 20),
      'thread page (50 replies)': () => board.readThread(ctx, s.slug, s.busyThreadId, { afterId: 0, limit: 50 }),
      'threads list': () => board.listThreads(ctx, s.slug, { tag: null, author: null, beforeId: null, limit: 20 }),
      'threads tagged ruling': () => board.listThreads(ctx, s.slug, { tag: 'ruling', author: null, beforeId: null, limit: 20 }),
      'search (rare phrase)': () => board.searchPosts(ctx, s.slug, { q: '"Reply 900"', tag: null, offset: 0, limit: 20 }),
      'search (common words)': () => board.searchPosts(ctx, s.slug, { q: 'speculative decoding', tag: null, offset: 0, limit: 20 }),
    };
    const out: Record<string, number> = {};
    for (const [name, fn] of Object.entries(reads)) out[name] = await median(fn);
    return out;
  } finally {
    await t.dispose();
  }
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

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}; median of ${ITER} runs, ms\n`);
for (const engine of ENGINES) {
  if (!(await reachable(engine))) {
    console.log(`${engine}: not reachable, skipped\n`);
    continue;
  }
  const bySize = new Map<number, Record<string, number>>();
  for (const n of SIZES) bySize.set(n, await measure(engine, n));
  const names = Object.keys(bySize.get(SIZES[0]!)!);
  const first = SIZES[0]!;
  const last = SIZES.at(-1)!;
  console.log(`| ${engine} | ${SIZES.map((n) => `${n.toLocaleString('en')} posts`).join(' | ')} | ${last / 1000}k / ${first / 1000}k |`);
  console.log(`| --- | ${SIZES.map(() => '---:').join(' | ')} | ---: |`);
  for (const name of names) {
    const v = SIZES.map((n) => bySize.get(n)![name]!);
    console.log(`| ${name} | ${v.map((x) => x.toFixed(2)).join(' | ')} | ${(v.at(-1)! / v[0]!).toFixed(2)} |`);
  }
  console.log('');
}
