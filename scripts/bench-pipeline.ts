/**
 * Part of `npm run bench`: the tiny-lm demo through the whole platform on PGlite. An agent
 * uploads a submission bundle (tar.gz), asks for a job, a local runner claims it, runs the
 * harness with the submission in the bubblewrap sandbox and uploads the result. Measures the
 * time from upload to result and reports the platform's own pooled score per submission.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { create as tarCreate } from 'tar';
import { AgoraClient, readResponse } from '@agora/sdk';
import { startRunner } from '@agora/runner';
import { ensureAdmin, startServer } from '@agora/server';
import { openTestDb } from '@agora/store/testing';

const root = join(import.meta.dirname, '..');
const challengeDir = join(root, 'challenges/tiny-lm');
const JOBS = Number(process.env.BENCH_PIPELINE_JOBS ?? 4);

async function bundle(name: string): Promise<Buffer> {
  const dir = join(challengeDir, 'submissions', name);
  const chunks: Buffer[] = [];
  const stream = tarCreate({ gzip: true, cwd: dir, portable: true }, readdirSync(dir));
  for await (const c of stream as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

export async function benchPipeline(): Promise<string[]> {
  process.env.AGORA_TEST_ENGINE = 'pglite';
  const testDb = await openTestDb();
  const work = mkdtempSync(join(tmpdir(), 'agora-bench-pipeline-'));
  const server = await startServer({ db: testDb.db, dataDir: join(work, 'data') });
  const admin = new AgoraClient({ url: server.url, apiKey: (await ensureAdmin(testDb.db))!.apiKey });
  const collab = (await admin.call('createCollaboration', { body: { challengeDir } })).slug;
  const invite = await admin.call('createInvite', { params: { collab }, body: {} });
  const reg = await admin.withKey(undefined).call('register', { body: { handle: 'bench-agent', owner: 'bench', invite: invite.code } });
  const agent = admin.withKey(reg.key.apiKey);
  const { token } = await admin.call('createRunner', { body: { name: 'bench-runner', labels: ['cpu'] } });
  const runner = await startRunner({ url: server.url, token, labels: ['cpu'], challengesDir: join(root, 'challenges'), workDir: join(work, 'runner'), pollMs: 100, log: () => {} });
  const lines: string[] = [];
  try {
    const rows: { name: string; uploadMs: number; firstResultMs: number; jobMs: number[] }[] = [];
    const finish = async (jobId: number) => {
      for (;;) {
        const j = await agent.call('getJob', { params: { collab, id: jobId } });
        if (['succeeded', 'guardrail_failed', 'failed', 'errored', 'timed_out', 'cancelled'].includes(j.state)) {
          if (j.state !== 'succeeded') throw new Error(`job ${jobId} ended ${j.state}: ${j.reason}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    for (const name of ['baseline', 'faster']) {
      const body = await bundle(name);
      const t0 = performance.now();
      const res = await fetch(agent.path('uploadSubmission', { collab }, { title: name, levers: name === 'faster' ? 'kv-cache' : '' }), {
        method: 'POST', headers: agent.headers({ 'content-type': 'application/gzip' }), body,
      });
      const subId = ((await readResponse(res)) as { submission: { id: number } }).submission.id;
      const uploadMs = performance.now() - t0;
      const jobMs: number[] = [];
      let firstResultMs = 0;
      for (let i = 0; i < JOBS; i++) {
        const t1 = performance.now();
        const job = await agent.call('createJob', { params: { collab }, body: { submissionId: subId, split: 'public' } });
        await finish(job.id);
        jobMs.push(performance.now() - t1);
        if (i === 0) firstResultMs = performance.now() - t0;
      }
      rows.push({ name, uploadMs, firstResultMs, jobMs });
    }
    const board = await agent.call('leaderboard', { params: { collab }, query: { split: 'public' } });
    const f = (x: number | null) => (x == null ? '—' : x.toFixed(1));
    lines.push(`tiny-lm through the platform (PGlite, local runner, bubblewrap sandbox), ${JOBS} jobs of 3 repeats per submission`, '');
    lines.push('| submission | upload, s | upload → first result, s | job → result, s (median of ' + JOBS + ') | pooled tokens/s | 95% CI | samples | guardrails |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const r of rows) {
      const sorted = [...r.jobMs].sort((a, b) => a - b);
      const e = board.items.find((x) => x.title === r.name);
      lines.push(`| ${r.name} | ${(r.uploadMs / 1000).toFixed(2)} | ${(r.firstResultMs / 1000).toFixed(2)} | ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(2)} | ${f(e?.mean ?? null)} | ${f(e?.ciLow ?? null)}–${f(e?.ciHigh ?? null)} | ${e?.n ?? 0} | ${e?.guardrailsPassed ? 'pass' : `fail ${e?.failedGuardrails.join(', ')}`} |`);
    }
    const [b, q] = [board.items.find((x) => x.title === 'baseline'), board.items.find((x) => x.title === 'faster')];
    if (b && q && b.ciLow != null && b.ciHigh != null && q.ciLow != null && q.ciHigh != null)
      lines.push('', `faster / baseline: ${(q.mean / b.mean).toFixed(1)}x (bounds from the 95% CIs: ${(q.ciLow / b.ciHigh).toFixed(1)}x–${(q.ciHigh / b.ciLow).toFixed(1)}x); leaderboard tiers: faster ${q.tier}, baseline ${b.tier}.`);
  } finally {
    await runner.stop();
    await server.close();
    await testDb.dispose();
    rmSync(work, { recursive: true, force: true });
  }
  return lines;
}

if (import.meta.main) console.log((await benchPipeline()).join('\n'));
