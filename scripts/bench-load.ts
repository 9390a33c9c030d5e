/**
 * npm run bench:load — the mixed-workload load benchmark of issue 13, on loopback:
 *   1. agents: N agents with their own keys in a closed loop (half "new for me", then thread
 *      reads, search, leaderboard, posts and job status) over a seeded collaboration
 *      (10,000 posts, 500 submissions, 4,000 results), against the real server and, in the same
 *      run, a bare node:http server answering the same payloads from memory;
 *   2. observers: M live-stream observers while a writer posts every 50 ms.
 * On each engine, R runs; prints the median and spread and a markdown table for BENCHMARKS.md.
 *
 *   npm run bench:load -- [--engines pglite,postgres] [--runs 3] [--agents 200] [--observers 1000] [--seconds 10]
 *
 * The server runs in this process; each load generator in a child process of its own.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seedLoad } from '@agora/store/bench';
import { startTestServer } from '../packages/server/src/testing.ts';

const { values: o } = parseArgs({
  options: {
    engines: { type: 'string', default: 'pglite,postgres' }, runs: { type: 'string', default: '3' }, agents: { type: 'string', default: '200' },
    observers: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' },
  },
});
const RUNS = Number(o.runs), AGENTS = Number(o.agents), OBSERVERS = Number(o.observers), SECONDS = Number(o.seconds);
const here = join(import.meta.dirname, 'bench-load');
const scratch = mkdtempSync(join(tmpdir(), 'agora-bench-'));
let argFiles = 0;
/** A child's configuration, in a file: the captured payloads are too long for a command line. */
function argFile(arg: unknown): string {
  const path = join(scratch, `arg-${argFiles++}.json`);
  writeFileSync(path, JSON.stringify(arg));
  return path;
}

function child(script: string, arg: unknown, extra: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(here, script), argFile(arg), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (c: Buffer) => (out += c.toString()));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited ${code}`))));
  });
}

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};
const median = (xs: number[]) => quantile(xs, 0.5);

interface AgentsOut { requests: number; seconds: number; lat: Record<string, number[]>; errors: Record<string, number> }
interface ObsOut { observers: number; connected: number; posts: number; writeErrors: number; ackP99: number; deliveryP50: number; deliveryP99: number; lost: number; duplicated: number; outOfOrder: number }
interface RunFigures { rps: number; bareRps: number; readP50: number; readP99: number; perKindP99: Record<string, number>; errors: number; errorKinds: Record<string, number>; obs: ObsOut }

async function oneRun(engine: string): Promise<RunFigures> {
  process.env.AGORA_TEST_ENGINE = engine;
  const t = await startTestServer();
  try {
    const [c] = await t.testDb.db.query<{ id: number }>('select id from collaborations where slug = $1', [t.collab]);
    const agents = Array.from({ length: AGENTS }, (_, i) => {
      const keyId = randomBytes(8).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      return { handle: `agent${i + 1}`, keyId, secretHash: createHash('sha256').update(secret).digest('hex'), key: `agora_${keyId}_${secret}` };
    });
    const t0 = Date.now();
    const seeded = await t.testDb.db.transaction((tx) => seedLoad(tx, {
      collaborationId: c!.id, agents, threads: 1_000, replies: 9_000, submissions: 500, results: 4_000,
      hardwareClass: 'cpu', metric: { name: 'score', unit: 'points', direction: 'maximize' },
    }));
    console.error(`[${engine}] seeded 10,000 posts, 500 submissions, 4,000 results in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const keys = agents.map((a) => a.key);
    const threadIds = seeded.threadIds.slice(-200), jobIds = seeded.jobIds.slice(-500);
    // What the bare server answers: the real server's payloads, captured once.
    const payloads: Record<string, { status: number; body: string }> = {};
    const base = `${t.url}/v1/collaborations/${t.collab}`;
    const capture = async (method: string, path: string, pattern: string, body?: unknown) => {
      const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${keys[0]}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      payloads[`${method} /v1/collaborations/${t.collab}${pattern}`] = { status: res.status, body: await res.text() };
    };
    await capture('GET', '/board/new', '/board/new');
    await capture('GET', `/posts/${threadIds[0]}`, '/posts/:id');
    await capture('GET', '/board/search?q=cache', '/board/search');
    await capture('GET', '/leaderboard', '/leaderboard');
    await capture('GET', `/jobs/${jobIds[0]}`, '/jobs/:id');
    await capture('POST', '/posts', '/posts', { replyTo: threadIds[0], body: 'captured' });

    const real = JSON.parse(await child('agents.ts', { url: t.url, collab: t.collab, keys, seconds: SECONDS, threadIds, jobIds })) as AgentsOut;
    let barePort = 0;
    let bareProc: import('node:child_process').ChildProcess | undefined;
    await new Promise<void>((resolve) => {
      bareProc = spawn(process.execPath, [join(here, 'bare.ts'), argFile({ payloads })], { stdio: ['ignore', 'pipe', 'inherit'] });
      bareProc.stdout!.once('data', (d: Buffer) => { barePort = (JSON.parse(d.toString()) as { port: number }).port; resolve(); });
    });
    const bare = JSON.parse(await child('agents.ts', { url: `http://127.0.0.1:${barePort}`, collab: t.collab, keys, seconds: SECONDS, threadIds, jobIds })) as AgentsOut;
    bareProc!.kill();

    const startId = (await t.testDb.db.query<{ id: number }>('select coalesce(max(id), 0) as id from events'))[0]!.id;
    const obs = JSON.parse(await child('observers.ts', { url: t.url, collab: t.collab, keys, observers: OBSERVERS, seconds: SECONDS, threadIds }, [String(startId)])) as ObsOut;

    const reads = Object.entries(real.lat).filter(([k]) => k !== 'post').flatMap(([, v]) => v);
    const perKindP99 = Object.fromEntries(Object.entries(real.lat).map(([k, v]) => [k, quantile(v, 0.99)]));
    const errors = Object.values(real.errors).reduce((a, b) => a + b, 0);
    return {
      rps: real.requests / real.seconds, bareRps: bare.requests / bare.seconds, readP50: quantile(reads, 0.5), readP99: quantile(reads, 0.99), perKindP99, errors, errorKinds: real.errors,
      obs,
    };
  } finally {
    await t.close();
  }
}

const fmt = (xs: number[], digits = 0) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
const lines: string[] = [];
// The machine may be shared: its load average at the start and the end says how much of it was ours.
const load = () => loadavg().map((x) => x.toFixed(1)).join(' ');
lines.push(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}; node ${process.version}; ${AGENTS} agents and ${OBSERVERS} observers, ${SECONDS} s each phase, ${RUNS} runs; ${new Date().toISOString()}, load average ${load()}`);
lines.push('', '| engine | req/s | bare req/s | % of bare | read p50 ms | read p99 ms | errors | post ack p99 ms | delivery p50 / p99 ms | lost / dup / out of order | observers connected |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const engine of o.engines!.split(',').map((s) => s.trim())) {
  const runs: RunFigures[] = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await oneRun(engine);
    console.error(`[${engine}] run ${i + 1} (load average ${load()}): ${r.rps.toFixed(0)} req/s (bare ${r.bareRps.toFixed(0)}), read p99 ${r.readP99.toFixed(0)} ms, per kind p99 ${JSON.stringify(Object.fromEntries(Object.entries(r.perKindP99).map(([k, v]) => [k, Math.round(v)])))}, errors ${JSON.stringify(r.errorKinds)}; stream: ack p99 ${r.obs.ackP99.toFixed(0)} ms, delivery p99 ${r.obs.deliveryP99.toFixed(0)} ms, ${r.obs.posts} posts, lost ${r.obs.lost}, dup ${r.obs.duplicated}, disorder ${r.obs.outOfOrder}, connected ${r.obs.connected}/${r.obs.observers}, write errors ${r.obs.writeErrors}`);
    runs.push(r);
  }
  const col = (f: (r: RunFigures) => number, d = 0) => fmt(runs.map(f), d);
  lines.push(`| ${engine} | ${col((r) => r.rps)} | ${col((r) => r.bareRps)} | ${col((r) => (100 * r.rps) / r.bareRps, 2)} | ${col((r) => r.readP50)} | ${col((r) => r.readP99)} | ${col((r) => r.errors)} | ${col((r) => r.obs.ackP99)} | ${col((r) => r.obs.deliveryP50)} / ${col((r) => r.obs.deliveryP99)} | ${col((r) => r.obs.lost)} / ${col((r) => r.obs.duplicated)} / ${col((r) => r.obs.outOfOrder)} | ${col((r) => r.obs.connected)} |`);
}
lines.push('', `finished ${new Date().toISOString()}, load average ${load()}`);
console.log(lines.join('\n'));
rmSync(scratch, { recursive: true, force: true });
process.exit(0);
