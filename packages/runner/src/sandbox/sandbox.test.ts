// Run: node --test packages/runner/src/sandbox/
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { EXEC_SCRIPT, parseExecArgs, sandboxExecPrefix } from './exec.ts';
import {
  probeSandbox,
  SandboxUnavailableError,
  spawnSandboxed,
  type SandboxLimits,
  type SandboxOutcome,
  type SandboxSpec,
  type SpawnSandboxedOptions,
} from './index.ts';
import { sandboxSkip } from './test-gate.ts';

const probe = await probeSandbox();
const skip = sandboxSkip();

const NODE = fs.realpathSync(process.execPath);
/** The hostile submission: one attempt per argument (see the file). */
const HOSTILE = fileURLToPath(new URL('./fixtures/hostile.cjs', import.meta.url));
const LIMITS: SandboxLimits = { wallSeconds: 15, cpuSeconds: 15, memoryMb: 256, processes: 64 };

let root: string;
let bundle: string;
const tag = `${process.pid}${Math.floor(Math.random() * 1e6)}`;

const SCRIPTS: Record<string, string> = {
  'ok.cjs': `
    const fs = require('fs');
    fs.writeFileSync('/scratch/out.txt', 'written in the sandbox');
    fs.writeFileSync(process.env.TMPDIR + '/tmp.txt', 'tmp');
    const readBack = fs.readFileSync('/scratch/out.txt', 'utf8') + ' ' + fs.readFileSync('/tmp/tmp.txt', 'utf8');
    console.log(JSON.stringify({ cwd: process.cwd(), home: process.env.HOME, argv: process.argv.slice(2), readBack }));
  `,
  'net.cjs': `
    const net = require('net');
    const port = Number(process.argv[2]);
    const attempt = (host, port) => new Promise((resolve) => {
      const s = net.connect({ host, port });
      s.setTimeout(3000, () => { s.destroy(); resolve('timeout'); });
      s.on('connect', () => { s.destroy(); resolve('connected'); });
      s.on('error', (e) => resolve(e.code));
    });
    (async () => {
      const local = await attempt('127.0.0.1', port);
      const remote = await attempt('1.1.1.1', 80);
      console.log(JSON.stringify({ local, remote }));
    })();
  `,
  'read.cjs': `
    const fs = require('fs');
    const out = {};
    for (const p of process.argv.slice(2)) {
      try { fs.readFileSync(p); out[p] = 'read'; } catch (e) { out[p] = e.code; }
    }
    console.log(JSON.stringify(out));
  `,
  'write.cjs': `
    const fs = require('fs');
    try { fs.writeFileSync('/submission/planted.txt', 'x'); console.log('wrote'); }
    catch (e) { console.log(e.code); }
  `,
  'mem.cjs': `
    const keep = [];
    for (;;) keep.push(Buffer.alloc(16 << 20, 1));
  `,
  'spin.cjs': `for (;;) {}`,
  'cache.cjs': `
    const fs = require('fs');
    const names = ['AGORA_CACHE_DIR', 'XDG_CACHE_HOME', 'TORCHINDUCTOR_CACHE_DIR', 'TRITON_CACHE_DIR', 'CUDA_CACHE_PATH', 'PYTHONPYCACHEPREFIX'];
    const env = Object.fromEntries(names.map((k) => [k, process.env[k] ?? null]));
    let wrote = null;
    if (process.env.AGORA_CACHE_DIR) {
      const before = fs.existsSync(process.env.AGORA_CACHE_DIR + '/x') ? fs.readFileSync(process.env.AGORA_CACHE_DIR + '/x', 'utf8') : null;
      fs.writeFileSync(process.env.AGORA_CACHE_DIR + '/x', 'kernel ' + process.argv[2]);
      wrote = { before };
    }
    let tmp = null; try { tmp = fs.readlinkSync('/tmp') } catch (e) { tmp = e.code }
    console.log(JSON.stringify({ env, cacheExists: fs.existsSync('/cache'), wrote, tmp }));
  `,
  'idle.cjs': `setInterval(() => {}, 1000);`,
  'bomb.sh': `:(){ :|:& };: ; sleep 30 # ${tag}`,
  'nodebomb.cjs': `
    const { spawn } = require('child_process');
    (function more() { try { spawn('sleep', ['30.${tag}']).on('error', () => {}); } catch {} setImmediate(more); })();
  `,
};

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-sandbox-test-'));
  bundle = path.join(root, 'bundle');
  fs.mkdirSync(bundle);
  for (const [name, text] of Object.entries(SCRIPTS)) fs.writeFileSync(path.join(bundle, name), text);
  fs.copyFileSync(HOSTILE, path.join(bundle, 'hostile.cjs'));
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

function scratch(): string {
  return fs.mkdtempSync(path.join(root, 'scratch-'));
}

async function run(
  command: string[],
  limits: Partial<SandboxLimits> = {},
  opts: SpawnSandboxedOptions = {},
  spec: Partial<SandboxSpec> = {},
): Promise<{ outcome: SandboxOutcome; stdout: string; stderr: string; scratchDir: string }> {
  const scratchDir = scratch();
  const r = spawnSandboxed({ bundleDir: bundle, scratchDir, command, limits: { ...LIMITS, ...limits }, ...spec }, opts);
  let stdout = '';
  let stderr = '';
  r.child.stdout.on('data', (d) => (stdout += d));
  r.child.stderr.on('data', (d) => (stderr += d));
  const outcome = await r.done;
  return { outcome, stdout, stderr, scratchDir };
}

/** Host processes whose command line contains `marker`. */
function processesMatching(marker: string): number[] {
  const out: number[] = [];
  for (const n of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(n) || Number(n) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(marker)) out.push(Number(n));
    } catch {}
  }
  return out;
}

describe('sandbox (bubblewrap)', { skip, timeout: 120_000 }, () => {
  test('probe reports bubblewrap', () => {
    assert.equal(probe.kind, 'bubblewrap');
    assert.ok(probe.version);
  });

  test('a well-behaved script runs in /submission and writes to /scratch (its own tmpfs, not the host directory)', async () => {
    const { outcome, stdout, scratchDir, stderr } = await run(['node', 'ok.cjs', 'a b']);
    assert.equal(outcome.exitCode, 0, stderr);
    assert.equal(outcome.killed, null);
    assert.equal(outcome.sandbox, 'bubblewrap');
    assert.deepEqual(JSON.parse(stdout), { cwd: '/submission', home: '/scratch', argv: ['a b'], readBack: 'written in the sandbox tmp' });
    assert.deepEqual(fs.readdirSync(scratchDir), [], 'nothing reached the host scratch directory');
  });

  test('no network: cannot reach a server on the host loopback nor the outside', async () => {
    let connections = 0;
    const server = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      // Control: the same script outside the sandbox does reach the server.
      const control = spawnSync(NODE, [path.join(bundle, 'net.cjs'), String(port)], { encoding: 'utf8', timeout: 15_000 });
      assert.equal(JSON.parse(control.stdout).local, 'connected');
      for (let i = 0; i < 100 && connections === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(connections, 1);
      const { outcome, stdout } = await run(['node', 'net.cjs', String(port)]);
      assert.equal(outcome.exitCode, 0);
      const res = JSON.parse(stdout);
      assert.equal(res.local, 'ECONNREFUSED');
      assert.match(res.remote, /^(ENETUNREACH|EHOSTUNREACH|EACCES|EPERM)$/);
      assert.equal(connections, 1, 'the host server saw a connection from the sandbox');
    } finally {
      server.close();
    }
  });

  test('cannot read outside the bundle', async () => {
    const secretDir = fs.mkdtempSync(path.join(root, 'secret-'));
    const secret = path.join(secretDir, 'answer.txt');
    fs.writeFileSync(secret, '42');
    const repoFile = fs.realpathSync(new URL('../../../../package.json', import.meta.url));
    assert.equal(fs.readFileSync(secret, 'utf8'), '42'); // readable from the host
    // The runner's own /proc entry: the sandbox has its own pid namespace.
    const hostProc = `/proc/${process.pid}/environ`;
    // A symlink planted in the bundle resolves inside the sandbox, not on the host.
    const link = path.join(bundle, `link-${tag}`);
    fs.symlinkSync(secret, link);
    const linkInside = `/submission/link-${tag}`;
    const targets = [secret, '/etc/shadow', repoFile, '/root/.bashrc', hostProc, linkInside];
    const { outcome, stdout } = await run(['node', 'read.cjs', ...targets, '/submission/read.cjs']);
    fs.rmSync(link);
    assert.equal(outcome.exitCode, 0);
    const res = JSON.parse(stdout);
    for (const t of targets) assert.notEqual(res[t], 'read', `${t} was readable inside the sandbox`);
    assert.equal(res[secret], 'ENOENT');
    assert.equal(res['/etc/shadow'], 'ENOENT');
    assert.equal(res['/submission/read.cjs'], 'read'); // control: the bundle itself is readable
  });

  test('cannot write to the bundle', async () => {
    const { outcome, stdout } = await run(['node', 'write.cjs']);
    assert.equal(outcome.exitCode, 0);
    assert.equal(stdout.trim(), 'EROFS');
    assert.equal(fs.existsSync(path.join(bundle, 'planted.txt')), false);
  });

  test('a shell fork bomb is killed by the process limit and the host survives', async () => {
    const { outcome } = await run(['bash', 'bomb.sh'], { processes: 32, wallSeconds: 20 });
    assert.equal(outcome.killed?.by, 'processes');
    assert.match(outcome.killed!.reason, /32-process limit/);
    assert.ok(outcome.wallMs < 10_000, `took ${outcome.wallMs} ms`);
    assert.deepEqual(processesMatching(tag), []);
    // the runner is still fine: another run works
    const again = await run(['node', 'ok.cjs']);
    assert.equal(again.outcome.exitCode, 0);
  });

  test('a node process spawning children in a loop is killed by the process limit', async () => {
    const { outcome } = await run(['node', 'nodebomb.cjs'], { processes: 48 });
    assert.equal(outcome.killed?.by, 'processes');
    assert.deepEqual(processesMatching(`30.${tag}`), []);
  });

  test('allocating past the memory limit is killed with reason memory', async () => {
    const { outcome } = await run(['node', 'mem.cjs'], { memoryMb: 160 });
    assert.equal(outcome.killed?.by, 'memory');
    assert.match(outcome.killed!.reason, /160 MB memory limit/);
    assert.notEqual(outcome.exitCode, 0);
  });

  test('an infinite loop is killed by the CPU-time limit', async () => {
    const { outcome } = await run(['node', 'spin.cjs'], { cpuSeconds: 1, wallSeconds: 20 });
    assert.equal(outcome.killed?.by, 'cpu_time');
    assert.match(outcome.killed!.reason, /CPU time/);
    assert.ok((outcome.cpuMs ?? 0) >= 1000);
    assert.ok(outcome.wallMs < 10_000, `took ${outcome.wallMs} ms`);
  });

  test('an idle process is killed by the wall-clock limit', async () => {
    const { outcome } = await run(['node', 'idle.cjs'], { wallSeconds: 1 });
    assert.equal(outcome.killed?.by, 'wall_time');
    assert.equal(outcome.killed!.reason, 'killed after 1 s wall-clock limit');
    assert.ok(outcome.wallMs >= 1000 && outcome.wallMs < 5000);
  });

  test('background children are dead after the run, even on success', async () => {
    const marker = `sleep 1000.${tag}`;
    const { outcome, stdout } = await run(['sh', '-c', `${marker} & (setsid ${marker} &) ; echo started`]);
    assert.equal(outcome.exitCode, 0);
    assert.equal(outcome.killed, null);
    assert.equal(stdout.trim(), 'started');
    assert.deepEqual(processesMatching(marker), []);
  });

  test('devices (globs allowed) are passed through, nothing else is', async () => {
    // Stand-ins for /dev/nvidia0, /dev/nvidiactl, ...: any host path works for --dev-bind.
    const devDir = fs.mkdtempSync(path.join(root, 'dev-'));
    for (const n of ['fakegpu0', 'fakegpuctl', 'other']) fs.writeFileSync(path.join(devDir, n), n);
    const r = spawnSandboxed({
      bundleDir: bundle,
      scratchDir: scratch(),
      command: ['node', 'read.cjs', `${devDir}/fakegpu0`, `${devDir}/fakegpuctl`, `${devDir}/other`],
      limits: LIMITS,
      devices: [`${devDir}/fakegpu*`],
    });
    let stdout = '';
    let stderr = '';
    r.child.stdout.on('data', (d) => (stdout += d));
    r.child.stderr.on('data', (d) => (stderr += d));
    assert.equal((await r.done).exitCode, 0, stderr);
    const res = JSON.parse(stdout);
    assert.equal(res[`${devDir}/fakegpu0`], 'read');
    assert.equal(res[`${devDir}/fakegpuctl`], 'read');
    assert.equal(res[`${devDir}/other`], 'ENOENT');
  });

  test('kill(reason) stops the run and says so', async () => {
    const r = spawnSandboxed({ bundleDir: bundle, scratchDir: scratch(), command: ['node', 'idle.cjs'], limits: LIMITS });
    setTimeout(() => r.kill('the job was cancelled'), 300);
    const outcome = await r.done;
    assert.equal(outcome.killed?.by, 'requested');
    assert.equal(outcome.killed!.reason, 'killed on request: the job was cancelled');
  });

  describe('a hostile submission (fixtures/hostile.cjs) cannot', () => {
    test('write host-global kernel interfaces: /proc/sys is read-only, /sys is absent', async () => {
      const { outcome, stdout, stderr } = await run(['node', 'hostile.cjs', 'kernel']);
      assert.equal(outcome.exitCode, 0, stderr);
      const { open, procSysMount } = JSON.parse(stdout) as { open: Record<string, string>; procSysMount: string | null };
      for (const [p, r] of Object.entries(open)) assert.notEqual(r, 'opened for writing', `${p} opened for writing inside the sandbox`);
      // EACCES where the submission is not the files' owner (a root runner), EROFS where it is mapped to it.
      assert.match(open['/proc/sys/kernel/core_pattern']!, /^(EROFS|EACCES)$/);
      assert.match(open['/proc/sys/vm/drop_caches']!, /^(EROFS|EACCES)$/);
      assert.match(procSysMount ?? '', /^ro,/, 'and /proc/sys is mounted read-only whatever the uid');
      assert.equal(open['/sys/kernel/uevent_helper'], 'ENOENT');
      if (process.getuid?.() === 0) {
        // Control: here on the host, as root, the same open succeeds (and is closed without a write).
        fs.closeSync(fs.openSync('/proc/sys/kernel/core_pattern', fs.constants.O_WRONLY));
      }
    });

    test('create nested user namespaces (unshare -r)', async () => {
      const control = spawnSync('unshare', ['-r', 'true']);
      const { outcome, stdout, stderr } = await run(['node', 'hostile.cjs', 'userns']);
      assert.equal(outcome.exitCode, 0, stderr);
      const res = JSON.parse(stdout) as Record<string, string>;
      assert.equal(Object.keys(res).length, 3);
      for (const [cmd, r] of Object.entries(res)) assert.notEqual(r, 'succeeded', `${cmd} succeeded inside the sandbox`);
      if (control.status === 0) assert.match(res['unshare -r true']!, /unshare failed/);
    });

    test('leave a set-uid file on the host: /scratch is a nosuid, nodev tmpfs, and /cache is disarmed after the run', async () => {
      const cacheDir = fs.mkdtempSync(path.join(root, 'cache-suid-'));
      const { outcome, stdout, stderr, scratchDir } = await run(['node', 'hostile.cjs', 'setuid', tag], {}, {}, { cacheDir });
      assert.equal(outcome.exitCode, 0, stderr);
      const res = JSON.parse(stdout) as Record<string, { mode: string; mount: string }>;
      assert.equal(res['/scratch']!.mode, '4755', 'the chmod itself works inside (it is the host copy that matters)');
      assert.match(res['/scratch']!.mount, /(^|,)nosuid(,|$)/);
      assert.match(res['/scratch']!.mount, /(^|,)nodev(,|$)/);
      assert.match(res['/scratch']!.mount, /(^|,)size=/);
      assert.deepEqual(fs.readdirSync(scratchDir), [], 'the scratch file never exists on the host');
      const left = fs.lstatSync(path.join(cacheDir, `suid-${tag}`));
      assert.equal(left.mode & 0o6000, 0, `the cache copy is mode ${(left.mode & 0o7777).toString(8)} on the host`);
      assert.notEqual(left.uid, 0, 'and not root\'s');
    });

    test('fill the disk: a write past the scratch size fails inside with ENOSPC', async () => {
      const { outcome, stdout, stderr } = await run(['node', 'hostile.cjs', 'fill'], {}, {}, { scratchMb: 8 });
      assert.equal(outcome.exitCode, 0, stderr);
      const res = JSON.parse(stdout) as { written: number; error: string | null };
      assert.equal(res.error, 'ENOSPC');
      assert.ok(res.written <= 8 << 20 && res.written >= 4 << 20, `wrote ${res.written} bytes`);
    });

    test('be host root: the submission\'s processes have a non-root uid and no capabilities on the host', async () => {
      const marker = `7.${tag}`;
      const r = spawnSandboxed({ bundleDir: bundle, scratchDir: scratch(), command: ['node', 'hostile.cjs', 'identity', tag], limits: LIMITS });
      let stdout = '';
      r.child.stdout.on('data', (d: Buffer) => (stdout += d));
      r.child.stderr.resume();
      let seen: string[] = [];
      for (let i = 0; i < 600 && seen.length === 0; i++) {
        seen = processesMatching(`sleep ${marker}`).map((pid) => {
          try {
            return fs.readFileSync(`/proc/${pid}/status`, 'utf8');
          } catch {
            return '';
          }
        }).filter(Boolean);
        if (seen.length === 0) await new Promise((res) => setTimeout(res, 50));
      }
      const outcome = await r.done;
      assert.equal(outcome.exitCode, 0);
      assert.ok(seen.length > 0, 'saw the submission\'s process from the host');
      const field = (status: string, k: string) => (status.split('\n').find((l) => l.startsWith(k + ':')) ?? '').split(/\s+/).slice(1);
      for (const status of seen) {
        const uids = field(status, 'Uid');
        assert.equal(uids.length, 4);
        for (const u of uids) assert.notEqual(u, '0', `a submission process runs as host uid ${uids.join('/')}`);
        if (process.getuid?.() === 0) assert.deepEqual(uids, ['65534', '65534', '65534', '65534']);
        assert.equal(field(status, 'CapEff')[0], '0000000000000000');
      }
      assert.equal(JSON.parse(stdout).capEff, '0000000000000000');
    });
  });

  describe('without a writable cgroup (limits by polling /proc)', () => {
    let saved: string | undefined;
    before(() => {
      saved = process.env.AGORA_SANDBOX_CGROUP;
      process.env.AGORA_SANDBOX_CGROUP = 'off';
    });
    after(() => {
      if (saved === undefined) delete process.env.AGORA_SANDBOX_CGROUP;
      else process.env.AGORA_SANDBOX_CGROUP = saved;
    });

    test('memory, process and CPU limits still apply', async () => {
      const mem = await run(['node', 'mem.cjs'], { memoryMb: 160 });
      assert.equal(mem.outcome.enforcement.memory, 'poll');
      assert.equal(mem.outcome.killed?.by, 'memory');
      // As root there is no kernel backstop here (RLIMIT_NPROC exempts root), so
      // use the linear spawn loop: an exponential bomb can outrun a 100 ms poller
      // on a loaded 2-core machine and drive the load into the thousands.
      const bomb = await run(['node', 'nodebomb.cjs'], { processes: 48 });
      assert.equal(bomb.outcome.killed?.by, 'processes');
      assert.deepEqual(processesMatching(`30.${tag}`), []);
      const spin = await run(['node', 'spin.cjs'], { cpuSeconds: 1 });
      assert.equal(spin.outcome.killed?.by, 'cpu_time');
    });
  });

  test('a cacheDir is read-write at /cache, kept between runs, with the cache variables (the spec\'s env overrides them)', async () => {
    const cacheDir = fs.mkdtempSync(path.join(root, 'cache-')); // under /tmp: bound at /cache, not at its own path
    const once = async (arg: string, env?: Record<string, string>) => {
      const r = spawnSandboxed({ bundleDir: bundle, scratchDir: scratch(), command: ['node', 'cache.cjs', arg], limits: LIMITS, cacheDir, ...(env ? { env } : {}) });
      let out = '';
      let err = '';
      r.child.stdout.on('data', (d) => (out += d));
      r.child.stderr.on('data', (d) => (err += d));
      const outcome = await r.done;
      assert.equal(outcome.exitCode, 0, err);
      return JSON.parse(out);
    };
    const first = await once('1');
    assert.deepEqual(first.env, {
      AGORA_CACHE_DIR: '/cache',
      XDG_CACHE_HOME: '/cache',
      TORCHINDUCTOR_CACHE_DIR: '/cache/torchinductor',
      TRITON_CACHE_DIR: '/cache/triton',
      CUDA_CACHE_PATH: '/cache/nv',
      PYTHONPYCACHEPREFIX: '/cache/python',
    });
    assert.equal(first.cacheExists, true);
    assert.deepEqual(first.wrote, { before: null });
    assert.equal(fs.readFileSync(path.join(cacheDir, 'x'), 'utf8'), 'kernel 1', 'the write reached the host directory');
    // A cache dir (and a checkout) under /tmp do not stop /tmp from being /scratch (neither is bound under /tmp inside).
    assert.equal(first.tmp, '/scratch');
    const second = await once('2', { TRITON_CACHE_DIR: '/scratch/triton' });
    assert.deepEqual(second.wrote, { before: 'kernel 1' }, 'a second run with the same cacheDir sees the first one\'s file');
    assert.equal(second.env.TRITON_CACHE_DIR, '/scratch/triton', 'the spec\'s env wins over the defaults');
    assert.equal(second.env.TORCHINDUCTOR_CACHE_DIR, '/cache/torchinductor');
    assert.equal(fs.readFileSync(path.join(cacheDir, 'x'), 'utf8'), 'kernel 2');

    const none = await run(['node', 'cache.cjs', '3']);
    assert.equal(none.outcome.exitCode, 0, none.stderr);
    const seen = JSON.parse(none.stdout);
    assert.equal(seen.cacheExists, false, 'without a cacheDir there is no /cache');
    assert.deepEqual(Object.values(seen.env), [null, null, null, null, null, null]);
    assert.equal(seen.wrote, null);
  });

  test('exec.ts takes --cache DIR', async () => {
    const cacheDir = fs.mkdtempSync(path.join(root, 'cache-exec-'));
    const prefix = sandboxExecPrefix({ bundleDir: bundle, scratchDir: scratch(), limits: LIMITS, cacheDir });
    assert.deepEqual(prefix.slice(prefix.indexOf('--cache'), prefix.indexOf('--cache') + 2), ['--cache', cacheDir]);
    assert.equal(parseExecArgs([...prefix.slice(2), 'true']).spec.cacheDir, cacheDir);
    assert.equal(parseExecArgs(sandboxExecPrefix({ bundleDir: bundle, scratchDir: bundle, limits: LIMITS }).slice(2).concat('true')).spec.cacheDir, undefined);
    const r = spawnSync(prefix[0]!, [...prefix.slice(1), 'node', 'cache.cjs', 'exec'], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).env.CUDA_CACHE_PATH, '/cache/nv');
    assert.equal(fs.readFileSync(path.join(cacheDir, 'x'), 'utf8'), 'kernel exec');
    const missing = spawnSync(prefix[0]!, [...prefix.slice(1, prefix.indexOf('--cache') + 1), path.join(root, 'no-such-cache'), ...prefix.slice(prefix.indexOf('--cache') + 2), 'true'], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(missing.status, 125);
    assert.match(missing.stderr, /no-such-cache is not a directory/);
  });

  test('exec.ts CLI forwards stdio and exit code and writes the report', async () => {
    const report = path.join(root, 'report.json');
    const prefix = sandboxExecPrefix({ bundleDir: bundle, scratchDir: scratch(), limits: LIMITS, report, env: { GREETING: 'hi' } });
    assert.equal(prefix[1], EXEC_SCRIPT);
    assert.equal(prefix.at(-1), '--');
    const cmd = [...prefix, 'sh', '-c', 'read x; echo "$GREETING $x"; echo oops >&2; exit 7'];
    const res = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const c = spawn(cmd[0]!, cmd.slice(1));
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (code) => resolve({ code, out, err }));
      c.stdin.end('world\n');
    });
    assert.equal(res.code, 7);
    assert.equal(res.out, 'hi world\n');
    assert.equal(res.err, 'oops\n');
    const o = JSON.parse(fs.readFileSync(report, 'utf8')) as SandboxOutcome;
    assert.equal(o.exitCode, 7);
    assert.equal(o.sandbox, 'bubblewrap');
  });

  test('exec.ts reports a limit kill on stderr and in the report', () => {
    const report = path.join(root, 'report-wall.json');
    const prefix = sandboxExecPrefix({ bundleDir: bundle, scratchDir: scratch(), limits: { ...LIMITS, wallSeconds: 1 }, report });
    const r = spawnSync(prefix[0]!, [...prefix.slice(1), 'sleep', '10'], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(r.status, 137);
    assert.match(r.stderr, /agora-sandbox: killed after 1 s wall-clock limit/);
    assert.equal(JSON.parse(fs.readFileSync(report, 'utf8')).killed.by, 'wall_time');
  });
});

describe('when no sandbox is available', { timeout: 60_000 }, () => {
  const missing = { bwrapPath: '/nonexistent/bwrap' };

  test('untrusted jobs are refused', async () => {
    const p = await probeSandbox(missing);
    assert.equal(p.available, false);
    assert.equal(p.kind, 'none');
    assert.throws(
      () => spawnSandboxed({ bundleDir: bundle, scratchDir: scratch(), command: ['true'], limits: LIMITS }, missing),
      (e: unknown) => e instanceof SandboxUnavailableError && e.code === 'SANDBOX_UNAVAILABLE',
    );
  });

  test('the explicit opt-out runs unsandboxed, warns loudly, and still kills the tree', async () => {
    const lines: string[] = [];
    const marker = `sleep 1000.${tag}9`;
    const { outcome } = await run(['sh', '-c', `${marker} & sleep 30`], { wallSeconds: 1 }, {
      ...missing,
      allowUnsandboxed: true,
      log: (l) => lines.push(l),
    });
    assert.equal(outcome.sandbox, 'none');
    assert.match(lines.join('\n'), /SANDBOX DISABLED/);
    assert.equal(outcome.killed?.by, 'wall_time');
    assert.deepEqual(processesMatching(marker), []);
  });

  test('the opt-out points the cache variables at the host directory', async () => {
    const cacheDir = fs.mkdtempSync(path.join(root, 'cache-none-'));
    const r = spawnSandboxed({ bundleDir: bundle, scratchDir: scratch(), command: ['node', 'cache.cjs', 'host'], limits: LIMITS, cacheDir }, { ...missing, allowUnsandboxed: true, log: () => {} });
    let out = '';
    r.child.stdout.on('data', (d) => (out += d));
    const outcome = await r.done;
    assert.equal(outcome.sandbox, 'none');
    assert.equal(outcome.exitCode, 0);
    const seen = JSON.parse(out);
    assert.equal(seen.env.AGORA_CACHE_DIR, cacheDir);
    assert.equal(seen.env.TORCHINDUCTOR_CACHE_DIR, `${cacheDir}/torchinductor`);
    assert.equal(seen.env.CUDA_CACHE_PATH, `${cacheDir}/nv`);
    assert.equal(seen.env.PYTHONPYCACHEPREFIX, `${cacheDir}/python`);
    assert.equal(fs.readFileSync(path.join(cacheDir, 'x'), 'utf8'), 'kernel host');
  });
});
