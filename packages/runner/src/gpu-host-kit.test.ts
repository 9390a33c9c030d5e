// The GPU-host kit (scripts/gpu-host-kit.sh, docs/decisions/0070-gpu-host-kit.md), used the way a
// GPU host without Node uses it: the kit is built here (fast xz level; same script otherwise), put
// into a copy of the repository's files that has no node_modules/, and its launcher runs an
// exported tiny-lm job under `env -i` with a PATH whose `node` is a trap that records any call: the
// machine's Node must never run. The kit's own bubblewrap is forced (AGORA_KIT_BWRAP=kit), so the
// `dpkg -x` install is what sandboxes the submission. The result is then uploaded and must land.
// About 15 s on 2 cores.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { create } from 'tar';
import type { AgoraClient } from '@agora/sdk';
import { readResponse } from '@agora/sdk';
import { startTestServer, type TestServer } from '../../server/src/testing.ts';
import { DEFAULT_CHALLENGES } from './cli.ts';
import { exportJob, uploadOffline } from './offline.ts';
import { sandboxSkip } from './sandbox/test-gate.ts';

const ROOT = dirname(DEFAULT_CHALLENGES);
const TINY = join(DEFAULT_CHALLENGES, 'tiny-lm');

function skipReason(): string | false {
  const sandbox = sandboxSkip();
  if (sandbox) return sandbox;
  for (const tool of ['xz', 'git']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is missing (the kit's build needs it)`;
  }
  return false;
}

/** The repository's files as a checkout has them (tracked and untracked-but-not-ignored), without node_modules/. */
function copyCheckout(dest: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    const src = join(ROOT, f);
    if (!existsSync(src) || !statSync(src).isFile()) continue; // deleted in the working tree
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    copyFileSync(src, join(dest, f));
    if (statSync(src).mode & 0o111) chmodSync(join(dest, f), 0o755);
  }
}

function run(cmd: string, args: string[], opts: { cwd: string; env: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b));
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const skip = skipReason();

describe('the GPU-host kit runs an offline job without the machine\'s Node', { skip }, () => {
  let t: TestServer;
  let ada: AgoraClient;
  const work = mkdtempSync(join(tmpdir(), 'agora-gpu-host-kit-'));
  const repo = join(work, 'checkout');
  const kit = join(repo, '.agora', 'gpu-host-kit');

  before(async () => {
    t = await startTestServer({ challengeDir: TINY });
    ada = await t.join('ada');
  });
  after(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('build the kit, export a tiny-lm job, run it with the kit under env -i, upload it', async (ctx) => {
    // The GPU host's copy of the repository: no node_modules/.
    copyCheckout(repo);
    assert.ok(!existsSync(join(repo, 'node_modules')));

    const build = spawnSync('bash', [join(ROOT, 'scripts/gpu-host-kit.sh'), kit], { encoding: 'utf8', env: { ...process.env, AGORA_KIT_XZ_LEVEL: '0' }, timeout: 600_000 });
    if (build.status === 4 && !process.env.CI) {
      ctx.skip(`no bubblewrap .deb to put into the kit here: ${build.stderr.trim().split('\n').pop()}`);
      return;
    }
    assert.equal(build.status, 0, `the kit's build failed:\n${build.stderr}`);
    assert.deepEqual(readdirSync(kit).sort(), ['agora-offline', 'debs', 'kit.env', 'node.xz', 'node_modules.tar.xz']);
    assert.ok(readdirSync(join(kit, 'debs')).some((f) => f.startsWith('bubblewrap_')), 'the bubblewrap .deb is in the kit');
    assert.ok(statSync(join(kit, 'node_modules.tar.xz')).size < 4 * 1024 * 1024, 'only the runtime npm packages');

    // A job, exported by an offline runner's token (the online host's side).
    const bundle = join(work, 'faster.tar.gz');
    await create({ gzip: true, file: bundle, cwd: join(TINY, 'submissions', 'faster'), portable: true }, ['.']);
    const res = await fetch(ada.path('uploadSubmission', { collab: t.collab }, { title: 'faster' }), {
      method: 'POST', headers: ada.headers({ 'content-type': 'application/gzip' }), body: readFileSync(bundle),
    });
    const sub = ((await readResponse(res)) as { submission: { id: number } }).submission.id;
    const job = await ada.call('createJob', { params: { collab: t.collab }, body: { submissionId: sub, split: 'public' } });
    const { token } = await t.admin.call('createRunner', { body: { name: 'gpu-host', labels: ['cpu'] } });
    const jobDir = join(work, 'carry', `job-${job.id}`);
    assert.equal((await exportJob({ url: t.url, token, labels: ['cpu'], outDir: jobDir }))?.job.jobId, job.id);

    // The GPU host: nothing but the kit. A `node` first on PATH that records being run.
    const trap = join(work, 'trap');
    const trapped = join(work, 'machine-node-was-run');
    mkdirSync(trap);
    writeFileSync(join(trap, 'node'), `#!/bin/sh\necho "$@" >> '${trapped}'\nexit 99\n`, { mode: 0o755 });
    const home = join(work, 'home');
    mkdirSync(home);
    const env = { PATH: `${trap}:/usr/bin:/bin`, HOME: home, AGORA_KIT_BWRAP: 'kit' };
    // --no-python-bytecode: the host's python3 would compile all of its site-packages (minutes in CI).
    const r = await run(join(kit, 'agora-offline'), [jobDir, '--json', '--no-python-bytecode'], { cwd: work, env });
    assert.equal(r.code, 0, `the launcher failed:\n${r.stderr}`);
    assert.ok(!existsSync(trapped), `the machine's node was run: ${existsSync(trapped) ? readFileSync(trapped, 'utf8') : ''}`);
    assert.match(r.stderr, /unpacking Node v24\.\d+\.\d+/);
    assert.match(r.stderr, /installing bubblewrap .* from the kit/);
    assert.match(r.stderr, /sandbox: ON \(bubblewrap [^,]+, from the kit[^,]*, [^)]*\.cache\/bubblewrap-[^)]*bwrap\)/);
    assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), { outcome: 'succeeded', reason: null });

    // The checkout's node_modules: the kit's packages and the workspace links (every packages/*, web included: links, not their dependencies), nothing heavy.
    const nm = join(repo, 'node_modules');
    assert.ok(existsSync(join(nm, '.agora-gpu-host-kit')));
    const names = readdirSync(nm).filter((n) => !n.startsWith('.'));
    for (const heavy of ['typescript', 'playwright-core', '@electric-sql', 'pg', 'hono', 'react', 'vite']) assert.ok(!names.includes(heavy), `${heavy} is not shipped`);
    assert.ok(['tar', 'yaml', 'zod', '@agora'].every((n) => names.includes(n)), names.join(' '));
    assert.deepEqual(readdirSync(join(nm, '@agora')).sort(), ['cli', 'core', 'mcp', 'runner', 'sdk', 'server', 'store', 'web']);

    // The result was made by the kit's Node in the kit's sandbox.
    const body = JSON.parse(readFileSync(join(jobDir, 'result.json'), 'utf8'));
    assert.equal(body.outcome, 'succeeded', body.reason);
    assert.match(String(body.environment.sandbox), /^bubblewrap /);
    assert.equal(`v${body.environment.libraries.node}`, readFileSync(join(kit, 'kit.env'), 'utf8').match(/^NODE_VERSION=(.*)$/m)![1]);
    assert.equal(body.result.metric.samples.length, 3, 'one sample per repeat');
    // run-offline's default compile cache: ~/.cache/agora-runner of the GPU host's user, an entry per split and submission.
    assert.equal(body.environment.compile_cache, 'cold');
    assert.deepEqual(readdirSync(join(home, '.cache', 'agora-runner', 'tiny-lm', 'public')), [String(JSON.parse(readFileSync(join(jobDir, 'job.json'), 'utf8')).job.bundleSha256).slice(0, 32)]);

    // A second run of the same folder is refused by the runner (the launcher passes its exit on).
    const again = await run(join(kit, 'agora-offline'), [jobDir], { cwd: work, env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already run/);
    assert.doesNotMatch(again.stderr, /unpacking|installing|setting up/, 'set up once, reused after');

    // Back on the online host: the upload lands like any result.
    const up = await uploadOffline({ url: t.url, token, dir: jobDir, log: () => {} });
    assert.equal(up.status, 'written');
    const done = await ada.call('getJob', { params: { collab: t.collab, id: job.id } });
    assert.equal(done.state, 'succeeded', done.reason ?? '');
    assert.equal((done.result!.environment.libraries as Record<string, string>)['agora.offline'], 'true');
    assert.ok(done.result!.guardrailsPassed);
  });
});
