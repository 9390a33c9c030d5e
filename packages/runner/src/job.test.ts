// executeJob end to end on this host, without a server: the echo fixture challenge, a real
// harness process, the real sandbox (bubblewrap where it works here), real time limits.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ClaimedJob } from '@agora/core';
import { hostFingerprint } from './environment.ts';
import { executeJob, harnessEnv, harnessWallSeconds, placeArtifacts, type JobContext } from './job.ts';
import { LogSink } from './logs.ts';
import { probeSandboxSync } from './sandbox/index.ts';
import { sandboxSkip } from './sandbox/test-gate.ts';
import { FIXTURES, echoClaim, makeBundle, scoring } from './testing.ts';

const root = mkdtempSync(join(tmpdir(), 'agora-job-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
const host = hostFingerprint();
const sandbox = probeSandboxSync();
let n = 0;

async function run(files: Record<string, string>, over: Partial<ClaimedJob> = {}, ctx: Partial<JobContext> = {}) {
  const jobDir = join(root, `job${++n}`);
  mkdirSync(jobDir, { recursive: true });
  const logFile = join(jobDir, 'log.jsonl');
  const logs = new LogSink({ file: logFile });
  const report = await executeJob({
    job: echoClaim(over),
    jobDir,
    bundleFile: await makeBundle(root, files),
    challengesDir: FIXTURES,
    host,
    runnerId: 7,
    sandbox,
    allowUnsandboxed: false,
    logs,
    log: () => {},
    ...ctx,
  });
  await logs.close();
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stream: string; text: string });
  return { report, lines, text: lines.map((l) => l.text).join('\n') };
}

describe('executeJob with the echo fixture', { skip: sandboxSkip() }, () => {
  test('a scoring submission succeeds: samples, fingerprint and logs', async () => {
    const { report, lines } = await run(scoring());
    assert.equal(report.outcome, 'succeeded', report.reason);
    assert.deepEqual(report.result!.metric.samples, [40, 41]);
    assert.equal(report.result!.environment.sandbox, 'bubblewrap');
    const env = report.environment;
    assert.equal(env.runnerId, 7);
    assert.equal(env.harnessVersion, '1.0.0');
    assert.match(env.sandbox!, /^bubblewrap/);
    assert.ok(env.cpu.length > 0 && env.cpuCount! > 0 && env.memoryMb! > 0);
    assert.equal(env.libraries!.node, process.versions.node);
    assert.ok(lines.some((l) => l.stream === 'stdout' && l.text === 'submission: score 40'), 'harness output is logged live');
    assert.ok(lines.some((l) => l.stream === 'runner' && /bundle unpacked/.test(l.text)));
  });

  test('a job asking for other repeats than the challenge passes --repeats', async () => {
    const { report } = await run(scoring(), { repeats: 3 });
    assert.deepEqual(report.result!.metric.samples, [40, 41, 42]);
  });

  test('the submission is sandboxed: no network, read-only bundle, host files hidden', async () => {
    const probe = `
      const fs = require('fs');
      let ro = false; try { fs.writeFileSync('x', '1') } catch { ro = true }
      const home = fs.existsSync('/root') && fs.readdirSync('/root').length > 0;
      require('net').connect(80, '1.1.1.1').on('error', () => { console.log('score ' + (ro && !home ? 1 : 0)); console.log('score 1') })
        .on('connect', () => { console.log('score 0'); console.log('score 0'); process.exit(0) });`;
    const { report } = await run(scoring({ 'main.js': probe }));
    assert.equal(report.outcome, 'succeeded', report.reason);
    assert.deepEqual(report.result!.metric.samples, [1, 1]);
  });

  test('a submission that crashes fails (its fault), with the harness reason', async () => {
    const { report } = await run(scoring({ 'main.js': 'console.log("score 1"); process.exit(4)' }));
    assert.equal(report.outcome, 'failed');
    assert.match(report.reason!, /crashed: the submission exited with code 4 after 1 of 2 scores/);
  });

  test('a submission past its wall limit is killed by the sandbox and the result says so', async () => {
    // 10 repeats: the submission's own limit stays 1 s, while the harness gets 20 s (harnessWallSeconds) to see the
    // kill and write its result, however loaded the machine (2 repeats left it 4 s, too few on a busy 2-core host).
    const { report } = await run(scoring({ 'main.js': 'setInterval(() => {}, 1000)' }), { limits: { wall_seconds: 1, cpu_seconds: 10, memory_mb: 512, processes: 64 }, repeats: 10 });
    assert.equal(report.outcome, 'failed');
    assert.match(report.reason!, /killed: killed after 1 s wall-clock limit/);
  });

  test('a harness that crashes, writes bad JSON or the wrong shape: errored (infrastructure), with the reason', async () => {
    let r = await run(scoring({ mode: 'crash' }));
    assert.equal(r.report.outcome, 'errored');
    assert.match(r.report.reason!, /exited with code 3 and the harness wrote no result file[\s\S]*crashing on purpose/);
    r = await run(scoring({ mode: 'bad-json' }));
    assert.equal(r.report.outcome, 'errored');
    assert.match(r.report.reason!, /not valid JSON/);
    r = await run(scoring({ mode: 'wrong-shape' }));
    assert.equal(r.report.outcome, 'errored');
    assert.match(r.report.reason!, /does not match HarnessResult: metric/);
  });

  test('a harness past the job wall limit is killed: timed_out', async () => {
    const limits = { wall_seconds: 1, cpu_seconds: 10, memory_mb: 512, processes: 64 };
    assert.equal(harnessWallSeconds(limits, 1), 2);
    const t0 = Date.now();
    const { report, text } = await run(scoring({ mode: 'hang' }), { limits, repeats: 1 });
    assert.equal(report.outcome, 'timed_out');
    assert.match(report.reason!, /wall-clock limit of 2 s/);
    assert.ok(Date.now() - t0 >= 2000);
    assert.match(text, /still thinking/);
  });

  test('a kill request (cancel, lease lost) stops the harness tree', async () => {
    const { report } = await run(scoring({ mode: 'hang' }), {}, { onHarness: (h) => setTimeout(() => h.kill('cancelled by the owner'), 300) });
    assert.equal(report.outcome, 'errored');
    assert.match(report.reason!, /cancelled by the owner/);
  });

  test('a bad bundle fails the submission; a missing challenge folder or another harness version errors', async () => {
    const bad = join(root, 'bad.tar.gz');
    writeFileSync(bad, 'not a tarball');
    const jobDir = join(root, 'badjob');
    mkdirSync(jobDir);
    const rep = await executeJob({ job: echoClaim(), jobDir, bundleFile: bad, challengesDir: FIXTURES, host, sandbox, allowUnsandboxed: false, logs: new LogSink({}), log: () => {} });
    assert.equal(rep.outcome, 'failed');
    assert.match(rep.reason!, /bundle was refused: not a readable tar.gz/);
    let r = await run(scoring(), { challengeId: 'nope' });
    assert.equal(r.report.outcome, 'errored');
    assert.match(r.report.reason!, /no folder for challenge "nope"/);
    r = await run(scoring(), { challengeId: '../echo' });
    assert.match(r.report.reason!, /invalid challenge id/);
    r = await run(scoring(), { challenge: { harness: { version: '2.0.0' } } });
    assert.equal(r.report.outcome, 'errored');
    assert.match(r.report.reason!, /harness version 1.0.0, the collaboration's is 2.0.0/);
  });
});

describe('without a sandbox', () => {
  const none = { available: false, kind: 'none' as const, reason: 'bubblewrap (bwrap) is not installed' };
  test('jobs are refused as errored "runner has no sandbox"', async () => {
    const { report } = await run(scoring(), {}, { sandbox: none });
    assert.equal(report.outcome, 'errored');
    assert.match(report.reason!, /^runner has no sandbox: bubblewrap \(bwrap\) is not installed/);
    assert.equal(report.environment.sandbox, 'none');
  });

  test('with the explicit opt-out they run, loudly', async () => {
    const seen: string[] = [];
    const { report, text } = await run(scoring(), {}, { sandbox: none, allowUnsandboxed: true, log: (l) => seen.push(l) });
    assert.equal(report.outcome, 'succeeded', report.reason);
    assert.equal(report.environment.sandbox, 'none (unsandboxed opt-out)');
    assert.match(text, /NO SANDBOX/);
    assert.ok(seen.some((l) => /NO SANDBOX/.test(l)));
  });
});

test('the harness environment keeps the challenge\'s variables and drops the runner\'s token and secrets', () => {
  const saved = { ...process.env };
  Object.assign(process.env, {
    AGORA_RUNNER_TOKEN: 'agora_runner_1_abc',
    COPY_OF_IT: 'Bearer agora_runner_1_abc',
    AWS_SECRET_ACCESS_KEY: 'x',
    OPENAI_API_KEY: 'y',
    AGORA_SANDBOX_EXEC: '["evil"]',
    AGORA_LLM_DECODE_MODEL: '/models/m',
    CUDA_VISIBLE_DEVICES: '0',
  });
  try {
    const env = harnessEnv({ AGORA_SANDBOX_EXEC: '["ok"]' });
    for (const k of ['AGORA_RUNNER_TOKEN', 'COPY_OF_IT', 'AWS_SECRET_ACCESS_KEY', 'OPENAI_API_KEY']) assert.equal(env[k], undefined, k);
    assert.equal(env.AGORA_SANDBOX_EXEC, '["ok"]');
    assert.equal(env.AGORA_LLM_DECODE_MODEL, '/models/m');
    assert.equal(env.CUDA_VISIBLE_DEVICES, '0');
    assert.ok(env.PATH!.startsWith('/'));
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});

test('artifacts are placed at their paths; unsafe or colliding paths are the submission\'s fault', () => {
  const dir = join(root, `place${++n}`);
  const bundle = join(dir, 'bundle');
  const arts = join(dir, 'artifacts');
  mkdirSync(bundle, { recursive: true });
  mkdirSync(arts);
  writeFileSync(join(bundle, 'taken.bin'), 'mine');
  writeFileSync(join(arts, 'a'.repeat(64)), 'weights');
  placeArtifacts(bundle, arts, [{ sha256: 'a'.repeat(64), path: 'model/w.bin' }]);
  assert.equal(readFileSync(join(bundle, 'model/w.bin'), 'utf8'), 'weights');
  assert.throws(() => placeArtifacts(bundle, arts, [{ sha256: 'a'.repeat(64), path: 'taken.bin' }]), /already has a file there/);
  assert.throws(() => placeArtifacts(bundle, arts, [{ sha256: 'a'.repeat(64), path: '../out.bin' }]), /"\.\." in a path/);
  assert.throws(() => placeArtifacts(bundle, arts, [{ sha256: 'a'.repeat(64), path: '/etc/x' }]), /absolute/);
  symlinkSync('/tmp', join(bundle, 'escape'));
  assert.throws(() => placeArtifacts(bundle, arts, [{ sha256: 'a'.repeat(64), path: 'escape/x.bin' }]), /through a link out of the bundle/);
});
