/**
 * `npm run bench`: board latency with 10,000 posts, on PGlite and on PostgreSQL, through the real
 * HTTP server and SDK. The baseline in the same run is GET /healthz (HTTP + auth floor).
 * Then the tiny-lm demo through the whole platform (scripts/bench-pipeline.ts; BENCH_PIPELINE=0 skips).
 * Prints markdown tables; BENCHMARKS.md records a run with its machine.
 */
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AgoraClient } from '@agora/sdk';
import { benchPipeline } from './bench-pipeline.ts';
import { ensureAdmin, startServer } from '@agora/server';
import { writeFixtureChallenge } from '@agora/server/testing';
import { openTestDb, tempDir } from '@agora/store/testing';

const POSTS = Number(process.env.BENCH_POSTS ?? 10_000);
const ITER = Number(process.env.BENCH_ITER ?? 200);
const AGENTS = 120;

interface Row { engine: string; op: string; n: number; p50: number; p95: number; p99: number; mean: number }

async function time(engine: string, op: string, n: number, fn: (i: number) => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < Math.min(10, n); i++) await fn(i); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn(i);
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!;
  return { engine, op, n, p50: q(0.5), p95: q(0.95), p99: q(0.99), mean: ms.reduce((a, b) => a + b, 0) / n };
}

async function benchEngine(engine: 'pglite' | 'postgres'): Promise<Row[]> {
  process.env.AGORA_TEST_ENGINE = engine;
  const testDb = await openTestDb();
  const tmp = tempDir('agora-bench-');
  const server = await startServer({ db: testDb.db, dataDir: join(tmp.path, 'data') });
  try {
    const admin = new AgoraClient({ url: server.url, apiKey: (await ensureAdmin(testDb.db))!.apiKey });
    const collab = (await admin.call('createCollaboration', { body: { challengeDir: writeFixtureChallenge(join(tmp.path, 'c')) } })).slug;
    const invite = await admin.call('createInvite', { params: { collab }, body: { maxUses: AGENTS } });
    const agents: AgoraClient[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const reg = await admin.withKey(undefined).call('register', { body: { handle: `agent-${i}`, owner: `owner-${i % 10}`, invite: invite.code } });
      agents.push(admin.withKey(reg.key.apiKey));
    }
    // Seed 10,000 posts in SQL, dated in the past (the API's rate limits would make seeding take
    // hours): one thread in ten, replies spread over threads, one post in twenty mentioning agent-0.
    const { db } = testDb;
    const [{ id: collabId }] = (await db.query<{ id: number }>('select id from collaborations where slug = $1', [collab])) as [{ id: number }];
    const ids = (await db.query<{ id: number }>(`select id from participants where handle like 'agent-%' order by id`)).map((r) => r.id);
    const threads = Math.ceil(POSTS / 10);
    await db.query(
      `insert into posts (collaboration_id, author_id, title, body, tags, created_at, last_activity_at)
       select $1, ($2::int[])[1 + (g % $3)], 'Thread ' || g || ': kernel fusion and cache layout',
              'Measured ' || g || ' tokens per second with a static KV cache. ' || repeat('Notes on the lever map. ', 8), array['result'],
              now() - interval '3 days' + g * interval '1 second', now() - interval '3 days' + g * interval '1 second'
       from generate_series(1, $4) g`,
      [collabId, ids, ids.length, threads],
    );
    const threadIds = (await db.query<{ id: number }>('select id from posts where collaboration_id = $1 order by id', [collabId])).map((r) => r.id);
    await db.query(
      `insert into posts (collaboration_id, author_id, thread_id, reply_to, body, created_at)
       select $1, ($2::int[])[1 + (g % $3)], t, t,
              case when g % 20 = 0 then '@agent-0 ' else '' end || 'Reply ' || g || ': tried int4 lm_head, perplexity rose 0.3%. ' || repeat('More detail. ', 6),
              now() - interval '2 days' + g * interval '10 seconds'
       from generate_series(1, $4) g, lateral (select ($5::int[])[1 + (g % $6)] as t) x`,
      [collabId, ids, ids.length, POSTS - threads, threadIds, threadIds.length],
    );
    await db.query(
      `insert into post_edges (post_id, kind, target, target_id)
       select id, 'mention', 'agent-0', $2 from posts where collaboration_id = $1 and body like '@agent-0 %'`,
      [collabId, ids[0]],
    );
    await db.query(`insert into post_revisions (post_id, revision, title, body, tags, editor_id)
                    select id, 1, title, body, tags, author_id from posts where collaboration_id = $1`, [collabId]);
    await db.query(`update posts t set reply_count = (select count(*) from posts r where r.thread_id = t.id) where t.collaboration_id = $1 and t.thread_id is null`, [collabId]);
    await db.query('analyze');
    const [count] = await db.query<{ n: number }>('select count(*) as n from posts where collaboration_id = $1', [collabId]);

    const reader = agents[0]!;
    const busyThread = threadIds[1]!;
    const rows: Row[] = [];
    rows.push(await time(engine, 'GET /healthz (baseline)', ITER, () => reader.raw('/healthz').then((r) => r.text())));
    rows.push(await time(engine, 'GET /v1/me (auth baseline)', ITER, () => reader.call('me')));
    rows.push(await time(engine, 'list threads (page of 50)', ITER, () => reader.call('listThreads', { params: { collab }, query: { limit: 50 } })));
    rows.push(await time(engine, 'read a thread (~10 posts)', ITER, (i) => reader.call('getPost', { params: { collab, id: threadIds[(i * 7) % threadIds.length]! } })));
    rows.push(await time(engine, 'search "kernel cache"', ITER, () => reader.call('searchPosts', { params: { collab }, query: { q: 'kernel cache' } })));
    rows.push(await time(engine, 'new for me (all 10k unread)', ITER, () => reader.call('boardNew', { params: { collab } })));
    await reader.call('markRead', { params: { collab }, body: { upTo: threadIds.at(-1)! + POSTS - threads - 100 } });
    rows.push(await time(engine, 'new for me (after read)', ITER, () => reader.call('boardNew', { params: { collab } })));
    rows.push(await time(engine, 'post a reply', Math.min(ITER, AGENTS * 4), (i) =>
      agents[(i % (AGENTS - 1)) + 1]!.call('createPost', { params: { collab }, body: { replyTo: busyThread, body: `bench reply ${i} @agent-0 see #p${busyThread}` } })));
    console.error(`${engine}: ${count!.n} posts seeded and measured`);
    return rows;
  } finally {
    await server.close();
    await testDb.dispose();
    tmp.dispose();
  }
}

const engines = (process.env.AGORA_BENCH_ENGINES ?? 'pglite,postgres').split(',') as ('pglite' | 'postgres')[];
const all: Row[] = [];
for (const e of engines) all.push(...(await benchEngine(e)));
const f = (x: number) => x.toFixed(2);
console.log(`\nBoard latency, ${POSTS} posts, ${ITER} sequential requests per row, ms (client-side, loopback HTTP)`);
console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
console.log('| engine | operation | n | p50 | p95 | p99 | mean |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
for (const r of all) console.log(`| ${r.engine} | ${r.op} | ${r.n} | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${f(r.mean)} |`);
if (process.env.BENCH_PIPELINE !== '0') console.log(`\n${(await benchPipeline()).join('\n')}`);
