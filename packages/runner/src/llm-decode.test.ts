// Issue 5's plumbing on CPU: the llm-decode challenge (a GPU challenge, Python harness that
// serves the submission over HTTP) run by a real runner labelled `gpu`, in the real bubblewrap
// sandbox (the harness reaches the sandboxed server through the loopback port bridge), online and
// offline (export → run-offline → upload); both results land the same way.
//
// The challenge is a generated variant of challenges/llm-decode in a temp dir: the toy-size model
// (harness/toy_gemma.py, written by tools/make_checkpoint.py --size toy), toy data, tiny request
// and token counts, hardware [gpu] (the real one also wants `h200`), small limits. The harness,
// the baseline submission (assembled by tools/assemble.py, as it is uploaded) and the scoring are
// the real ones. About 30 s on 2 CPU cores.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { create } from 'tar';
import type { AgoraClient } from '@agora/sdk';
import { readResponse } from '@agora/sdk';
import { startTestServer, type TestServer } from '../../server/src/testing.ts';
import { DEFAULT_CHALLENGES } from './cli.ts';
import { exportJob, runOffline, uploadOffline } from './offline.ts';
import { startRunner, type RunningRunner } from './runner.ts';
import { sandboxSkip } from './sandbox/test-gate.ts';
import { until } from './testbed.ts';

const SOURCE = join(DEFAULT_CHALLENGES, 'llm-decode');
const PYTHON = '/usr/bin/python3';

function skipReason(): string | false {
  const sandbox = sandboxSkip();
  if (sandbox) return sandbox;
  const py = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  if (py.status !== 0) return `${PYTHON} cannot import torch (the llm-decode harness and the toy model need it): ${(py.stderr ?? py.error?.message ?? '').trim().split('\n').pop()}`;
  return false;
}

/** challengesDir/llm-decode: the real harness and baseline, toy model and data, tiny settings. */
function writeToyChallenge(challengesDir: string): string {
  const dir = join(challengesDir, 'llm-decode');
  const skip = new Set(['model', 'data', 'benchmarks', 'tests', 'submissions', '__pycache__']);
  cpSync(SOURCE, dir, {
    recursive: true,
    filter: (src) => {
      const rel = src.slice(SOURCE.length + 1);
      if (!rel) return true;
      return !rel.split('/').some((p) => skip.has(p));
    },
  });
  const yaml = readFileSync(join(SOURCE, 'challenge.yaml'), 'utf8')
    .replace(/^hardware: .*$/m, 'hardware: [gpu]')
    .replace(/^repeats: \d+$/m, 'repeats: 2')
    .replace(/^ {2}wall_seconds: \d+$/m, '  wall_seconds: 240')
    .replace(/^ {2}cpu_seconds: \d+$/m, '  cpu_seconds: 600')
    .replace(/^ {2}memory_mb: \d+$/m, '  memory_mb: 4096')
    .replace(/^ {2}processes: \d+$/m, '  processes: 256');
  assert.match(yaml, /hardware: \[gpu\]\n/);
  assert.match(yaml, /wall_seconds: 240\n/);
  writeFileSync(join(dir, 'challenge.yaml'), yaml);
  const settings = JSON.parse(readFileSync(join(SOURCE, 'settings.json'), 'utf8'));
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({
    ...settings,
    prompts: 3, heldout: 2, max_tokens: 8, repeats: 2, warmup: 1, measure_bandwidth: false,
    startup_timeout_s: 120, request_timeout_s: 60, max_wall_s: 200,
  }, null, 2));
  const env = { ...process.env, OMP_NUM_THREADS: '1' };
  execFileSync(PYTHON, ['tools/make_checkpoint.py', '--size', 'toy', '--out', 'model'], { cwd: dir, env, stdio: 'pipe' });
  // Pools for 2 repeats of 3 prompts + 2 held-out texts: each repeat draws its own (docs/decisions/0072).
  execFileSync(PYTHON, ['tools/make_data.py', '--model', 'model', '--split', 'public', '--data', 'data', '--prompts', '6', '--heldout', '4',
    '--min-len', '8', '--max-len', '24', '--heldout-continuation', '8'], { cwd: dir, env, stdio: 'pipe' });
  return dir;
}

const skip = skipReason();

describe('llm-decode through a gpu-labelled runner (toy model on CPU), online and offline', { skip }, () => {
  let t: TestServer;
  let ada: AgoraClient;
  let runner: RunningRunner | undefined;
  const work = mkdtempSync(join(tmpdir(), 'agora-llm-decode-runner-'));
  const challenges = join(work, 'challenges');
  const saved = { PATH: process.env.PATH, AGORA_PYTHON: process.env.AGORA_PYTHON, OMP_NUM_THREADS: process.env.OMP_NUM_THREADS };
  const log = (l: string) => process.env.AGORA_TEST_VERBOSE && console.error(new Date().toISOString(), l);

  before(async () => {
    // The harness command is `python3 -m harness`: this host's python3 with torch is /usr/bin's (a
    // pyenv shim earlier on PATH has none). A GPU host sets PATH (or binds a venv) the same way.
    process.env.PATH = `/usr/bin:${process.env.PATH ?? '/bin'}`;
    process.env.AGORA_PYTHON = PYTHON;
    process.env.OMP_NUM_THREADS = '1';
    mkdirSync(challenges);
    const dir = writeToyChallenge(challenges);
    t = await startTestServer({ challengeDir: dir });
    ada = await t.join('ada');
  });
  after(async () => {
    await runner?.stop();
    await t?.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(work, { recursive: true, force: true });
  });

  async function upload(name: string): Promise<number> {
    const file = join(work, `${name}.tar.gz`);
    const bundle = join(work, 'bundles', name);
    execFileSync(PYTHON, [join(SOURCE, 'tools', 'assemble.py'), name, bundle], { stdio: 'pipe' });
    await create({ gzip: true, file, cwd: bundle, portable: true }, ['.']);
    const url = ada.path('uploadSubmission', { collab: t.collab }, { title: name });
    const res = await fetch(url, { method: 'POST', headers: ada.headers({ 'content-type': 'application/gzip' }), body: readFileSync(file) });
    return ((await readResponse(res)) as { submission: { id: number } }).submission.id;
  }

  const getJob = (id: number) => ada.call('getJob', { params: { collab: t.collab, id } });
  const finished = (jobId: number) =>
    until(`job ${jobId}`, async () => {
      const j = await getJob(jobId);
      return ['succeeded', 'guardrail_failed', 'failed', 'errored', 'timed_out'].includes(j.state) ? j : null;
    }, 180_000);

  type Job = Awaited<ReturnType<typeof getJob>>;
  function checkResult(j: Job, runnerId: number) {
    assert.equal(j.state, 'succeeded', `${j.id}: ${j.reason ?? ''}`);
    const r = j.result!;
    assert.equal(r.metric.name, 'tokens_per_second');
    assert.equal(r.metric.samples.length, 2, 'one sample per repeat');
    assert.ok(r.metric.samples.every((x) => x > 0));
    // 3 timed + 2 held-out requests per repeat, 2 repeats, 8 tokens each
    assert.equal((r.samples ?? []).length, 10, 'per-request samples are public on the public split');
    assert.equal(((r.samples ?? [])[0] as { emitted: number[] }).emitted.length, 8);
    const g = Object.fromEntries(r.guardrails.map((x) => [x.name, x]));
    assert.deepEqual(Object.keys(g).sort(), ['decode_fidelity', 'perplexity']);
    assert.equal(g.decode_fidelity!.value, 1, 'the baseline is the reference');
    assert.ok(g.perplexity!.passed && Math.abs(g.perplexity!.value! - 1) < 1e-4, JSON.stringify(g.perplexity));
    assert.equal(r.guardrailsPassed, true);
    assert.equal(r.environment.harnessVersion, '1.0.0');
    assert.match(String(r.environment.sandbox), /^bubblewrap/);
    assert.equal(r.environment.runnerId, runnerId);
    assert.ok(r.environment.cpu, 'the CPU model is recorded');
    assert.ok((r.environment.libraries as Record<string, string>).torch, 'torch version recorded for a GPU challenge');
    return r;
  }

  test('online on a `gpu` runner, then export → run-offline → upload: both land the same way', async () => {
    const sub = await upload('baseline');

    // Online.
    const online = await ada.call('createJob', { params: { collab: t.collab }, body: { submissionId: sub, split: 'public' } });
    const { token } = await t.admin.call('createRunner', { body: { name: 'gpu-1', labels: ['gpu'] } });
    runner = await startRunner({ url: t.url, token, labels: ['gpu'], challengesDir: challenges, workDir: join(work, 'online'), pollMs: 100, log });
    const a = checkResult(await finished(online.id), runner.runnerId!);
    const onlineLog = await logText(online.id);
    // No network in the sandbox: the harness reached the server only through the port bridge.
    const cmd = (a.extra as { submission_command: string[] }).submission_command;
    const port = cmd[cmd.indexOf('--forward-port') + 1];
    assert.ok(cmd.includes('--forward-port') && cmd.includes(`AGORA_PORT=${port}`), `the port is forwarded into the sandbox: ${JSON.stringify(cmd)}`);
    assert.equal(cmd[cmd.indexOf(join(challenges, 'llm-decode', 'model')) - 1], '--ro', 'the checkpoint is bound read-only');
    assert.match(onlineLog, /\[harness\] status=ok/);
    await runner.stop();
    runner = undefined;

    // Offline: a second job, exported by a gpu runner's token, run with no server, uploaded later.
    const second = await ada.call('createJob', { params: { collab: t.collab }, body: { submissionId: sub, split: 'public' } });
    const off = await t.admin.call('createRunner', { body: { name: 'gpu-offline', labels: ['gpu'] } });
    const dir = join(work, 'carry');
    const exported = await exportJob({ url: t.url, token: off.token, labels: ['gpu'], outDir: dir, log });
    assert.equal(exported!.job.jobId, second.id);
    assert.ok(exported!.job.leaseSeconds > 60, `a long lease: ${exported!.job.leaseSeconds} s`);
    const body = await runOffline({ dir, challengesDir: challenges, log });
    assert.equal(body.outcome, 'succeeded', body.reason);
    const up = await uploadOffline({ url: t.url, token: off.token, dir, log });
    assert.equal(up.status, 'written');
    const offRunnerId = Number(/^agora_runner_(\d+)_/.exec(off.token)![1]);
    const b = checkResult(await finished(second.id), offRunnerId);
    assert.equal((b.environment.libraries as Record<string, string>)['agora.offline'], 'true');
    assert.match(await logText(second.id), /\[harness\] status=ok/, 'the offline log was uploaded');

    // Same shape: the same result fields, environment fields, guardrails and sample fields.
    const keys = (o: object) => Object.keys(o).sort();
    assert.deepEqual(keys(b), keys(a));
    assert.deepEqual(keys(b.environment), keys(a.environment));
    assert.deepEqual(keys(b.metric), keys(a.metric));
    assert.deepEqual(keys(b.extra ?? {}), keys(a.extra ?? {}));
    assert.deepEqual(b.guardrails.map((x) => [x.name, x.op, x.threshold, x.passed]), a.guardrails.map((x) => [x.name, x.op, x.threshold, x.passed]));
    assert.deepEqual(keys((b.samples ?? [])[0] as object), keys((a.samples ?? [])[0] as object));

    // Both on the submission's results and pooled on the leaderboard.
    const results = await ada.call('submissionResults', { params: { collab: t.collab, id: sub }, query: {} });
    assert.deepEqual(results.items.map((i) => i.result!.environment.runnerId).sort(), [runnerIdOf(a), offRunnerId].sort());
    assert.equal(results.pools[0]!.n, 4, 'two jobs × two repeats, pooled');
    const board = await ada.call('leaderboard', { params: { collab: t.collab }, query: { split: 'public' } });
    const row = board.items.find((e) => e.submissionId === sub)!;
    assert.equal(row.rank, 1);
    assert.equal(row.n, 4);
    assert.deepEqual(row.failedGuardrails, []);
  });

  const runnerIdOf = (r: { environment: { runnerId?: number | undefined } }) => r.environment.runnerId!;

  async function logText(id: number): Promise<string> {
    const page = await ada.call('jobLogs', { params: { collab: t.collab, id } });
    return page.items.map((l) => `${l.stream}: ${l.text}`).join('\n');
  }
});
