/**
 * `npm run bench:analytics`: the analytics' latency on a simulated collaboration of 200 agents and
 * 20,000 posts, on PGlite and on PostgreSQL (skipped when unreachable). Each engine: a fresh
 * server, `simulate` with 200 agents through the API (relays, sponsored runs, a loophole, a
 * ruling), then board volume up to 20,000 posts by the same agents (store/bench/board-volume.ts,
 * set-based, as the API's post rate would take hours). Each read goes through the SDK over HTTP,
 * 3 warm-ups then BENCH_ITER timed runs; the baseline in the same run is the lineage view (an
 * existing read of the same submissions). Also prints the analytics' precision and recall against
 * the simulation's ground truth at this size. BENCH_ENGINES, BENCH_AGENTS, BENCH_POSTS narrow it.
 */
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ensureAdmin, startServer } from '@agora/server';
import { writeFixtureChallenge } from '@agora/server/testing';
import { AgoraClient } from '@agora/sdk';
import { scoreAnalytics, simulate } from '@agora/sdk/simulate';
import { addBoardVolume } from '@agora/store/bench-volume';
import { openTestDb, tempDir } from '@agora/store/testing';

const ENGINES = (process.env.BENCH_ENGINES ?? 'pglite,postgres').split(',') as Array<'pglite' | 'postgres'>;
const AGENTS = Number(process.env.BENCH_AGENTS ?? 200);
const POSTS = Number(process.env.BENCH_POSTS ?? 20_000);
const ITER = Number(process.env.BENCH_ITER ?? 10);

async function time(fn: () => Promise<unknown>): Promise<{ p50: number; max: number }> {
  for (let i = 0; i < 3; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < ITER; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(ms.length / 2)]!, max: ms.at(-1)! };
}

async function benchEngine(engine: 'pglite' | 'postgres'): Promise<string[]> {
  process.env.AGORA_TEST_ENGINE = engine;
  let testDb;
  try {
    testDb = await openTestDb();
  } catch (e) {
    return [`| ${engine} | skipped: ${(e as Error).message.split('\n')[0]} | | |`];
  }
  const tmp = tempDir('agora-bench-analytics-');
  const server = await startServer({ db: testDb.db, dataDir: join(tmp.path, 'data') });
  try {
    const key = (await ensureAdmin(testDb.db))!.apiKey;
    const admin = new AgoraClient({ url: server.url, apiKey: key });
    const collab = (await admin.call('createCollaboration', { body: { challengeDir: writeFixtureChallenge(join(tmp.path, 'challenge')), slug: 'bench' } })).slug;
    const t0 = performance.now();
    const sim = await simulate({ url: server.url, organizerKey: key, collab, agents: AGENTS, hours: 0.25, seed: 2026 });
    const simSeconds = (performance.now() - t0) / 1000;
    const [{ id }] = (await testDb.db.query<{ id: number }>('select id from collaborations where slug = $1', [collab])) as [{ id: number }];
    await addBoardVolume(testDb.db, id, Math.max(0, POSTS - sim.truth.counts.posts));
    const q = { params: { collab } };
    const relays = await admin.call('relays', q);
    const score = scoreAnalytics(sim.truth, { relays, graph: await admin.call('interactionGraph', q), timeline: await admin.call('analyticsTimeline', q) });
    const posts = (await admin.call('analyticsMeasures', q)).participants.reduce((s, p) => s + p.posts, 0);
    const rows = [
      `<!-- ${engine}: simulation of ${AGENTS} agents took ${simSeconds.toFixed(1)} s (${sim.scenes} scenes, ${sim.skipped} skipped); ${posts} posts in all -->`,
      ...Object.entries(score).map(([what, m]) => `<!-- ${engine} ${what}: planted ${m.planted}, found ${m.found}, precision ${m.precision.toFixed(3)}, recall ${m.recall.toFixed(3)} -->`),
    ];
    const reads: Array<[string, () => Promise<unknown>]> = [
      ['baseline: lineage', () => admin.call('lineage', q)],
      ['analytics/graph', () => admin.call('interactionGraph', q)],
      ['analytics/measures', () => admin.call('analyticsMeasures', q)],
      ['analytics/timeline', () => admin.call('analyticsTimeline', q)],
      ['analytics/relays', () => admin.call('relays', q)],
    ];
    for (const [name, fn] of reads) {
      const r = await time(fn);
      rows.push(`| ${engine} | ${name} | ${r.p50.toFixed(1)} | ${r.max.toFixed(1)} |`);
    }
    return rows;
  } finally {
    await server.close();
    await testDb.dispose();
    tmp.dispose();
  }
}

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; ${AGENTS} agents, ${POSTS} posts, ${ITER} timed runs`);
console.log('| engine | read | p50 ms | max ms |\n| --- | --- | --- | --- |');
for (const engine of ENGINES) for (const line of await benchEngine(engine)) console.log(line);
