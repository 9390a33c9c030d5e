// Loopback port bridge (spec.forwardPorts / exec.ts --forward-port), with real bubblewrap.
// Run: node --test 'packages/runner/src/sandbox/*.test.ts'
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sandboxExecPrefix } from './exec.ts';
import { spawnSandboxed, type SandboxLimits, type SandboxOutcome, type SandboxSpec } from './index.ts';
import { sandboxSkip } from './test-gate.ts';

const skip = sandboxSkip();

const LIMITS: SandboxLimits = { wallSeconds: 30, cpuSeconds: 30, memoryMb: 512, processes: 64 };

// The submission: an HTTP server on 127.0.0.1:PORT (after DELAY ms) inside the sandbox.
const SERVER = `
  const http = require('http');
  const net = require('net');
  const fs = require('fs');
  const crypto = require('crypto');
  const port = Number(process.argv[2]);
  const delay = Number(process.argv[3] || 0);
  let connections = 0;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (u.pathname === '/hello') return res.end('hello from the sandbox, pid ' + process.pid);
      if (u.pathname === '/echo') {
        res.setHeader('x-sha256', crypto.createHash('sha256').update(body).digest('hex'));
        return res.end(body);
      }
      if (u.pathname === '/big') {
        const n = Number(u.searchParams.get('n'));
        const out = Buffer.alloc(n);
        for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >> 10)) & 255;
        return res.end(out);
      }
      if (u.pathname === '/stats') return res.end(JSON.stringify({ connections }));
      if (u.pathname === '/probe-host') {
        const s = net.connect({ host: '127.0.0.1', port: Number(u.searchParams.get('port')) });
        s.setTimeout(3000, () => { s.destroy(); res.end('timeout'); });
        s.on('connect', () => { s.destroy(); res.end('connected'); });
        s.on('error', (e) => res.end(e.code));
        return;
      }
      if (u.pathname === '/tamper') {
        const out = {};
        for (const [name, f] of [
          ['write', () => fs.writeFileSync('/agora/ports/planted', 'x')],
          ['unlink', () => fs.unlinkSync('/agora/ports/' + port + '.sock')],
          ['script', () => fs.writeFileSync('/agora/bridge.mjs', 'x')],
        ]) {
          try { f(); out[name] = 'ok'; } catch (e) { out[name] = e.code; }
        }
        return res.end(JSON.stringify(out));
      }
      if (u.pathname === '/exit') {
        res.end('bye');
        return setTimeout(() => process.exit(Number(u.searchParams.get('code'))), 50);
      }
      res.statusCode = 404;
      res.end();
    });
  });
  server.on('connection', () => connections++);
  setTimeout(() => server.listen(port, '127.0.0.1', () => console.log('listening on ' + port)), delay);
`;

let root: string;
let bundle: string;

before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-bridge-test-'));
  bundle = path.join(root, 'bundle');
  fs.mkdirSync(bundle);
  fs.writeFileSync(path.join(bundle, 'server.cjs'), SERVER);
  // Raw TCP: speaks first (banner), replies only after the client half-closes.
  fs.writeFileSync(
    path.join(bundle, 'raw.cjs'),
    `require('net').createServer({ allowHalfOpen: true }, (s) => {
       s.write('hi\\n'); let n = 0;
       s.on('data', (d) => (n += d.length));
       s.on('end', () => s.end('got ' + n + '\\n'));
     }).listen(Number(process.argv[2]), '127.0.0.1');`,
  );
  fs.writeFileSync(path.join(bundle, 'mem.cjs'), 'const keep = []; setTimeout(() => { for (;;) keep.push(Buffer.alloc(16 << 20, 1)); }, 300);');
});

after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const scratch = () => fs.mkdtempSync(path.join(root, 'scratch-'));

/** A port that is free on the host right now. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function canListen(port: number): Promise<boolean> {
  const s = net.createServer();
  const ok = await new Promise<boolean>((r) => {
    s.once('error', () => r(false));
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => r(true));
  });
  if (ok) await new Promise((r) => s.close(r));
  return ok;
}

/** Host processes that are the bridge for `port`. */
function bridgeProcesses(port: number): number[] {
  const marker = `/agora/bridge.mjs /agora/ports ${port}`;
  const out: number[] = [];
  for (const n of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      if (fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(marker)) out.push(Number(n));
    } catch {}
  }
  return out;
}

/** Poll `url` until it answers (any HTTP status); returns the response and how many attempts failed first. */
async function waitUp(url: string, timeoutMs = 15_000): Promise<{ res: Response; failures: number; errors: string[] }> {
  const t0 = Date.now();
  let failures = 0;
  const errors: string[] = [];
  for (;;) {
    const attempt = Date.now();
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
      return { res, failures, errors };
    } catch (e) {
      failures++;
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      errors.push(`${cause?.code ?? cause?.message ?? (e as Error).message} after ${Date.now() - attempt} ms`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`${url} never came up: ${errors.slice(-3).join('; ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function start(spec: Partial<SandboxSpec> & { command: string[] }) {
  const run = spawnSandboxed({ bundleDir: bundle, scratchDir: scratch(), limits: LIMITS, ...spec });
  let stdout = '';
  let stderr = '';
  run.child.stdout.on('data', (d) => (stdout += d));
  run.child.stderr.on('data', (d) => (stderr += d));
  return { ...run, out: () => ({ stdout, stderr }) };
}

describe('loopback port bridge (bubblewrap)', { skip, timeout: 120_000 }, () => {
  test('a server inside is reachable from the host; exit code kept; port and bridge released after', async () => {
    const port = await freePort();
    const run = start({ command: ['node', 'server.cjs', String(port)], forwardPorts: [port] });
    const { res } = await waitUp(`http://127.0.0.1:${port}/hello`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /^hello from the sandbox, pid \d+$/);
    assert.equal(bridgeProcesses(port).length, 1, 'the bridge runs during the run');
    assert.equal(await canListen(port), false, 'the host port is held during the run');
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/exit?code=3`)).text(), 'bye');
    const outcome = await run.done;
    assert.equal(outcome.exitCode, 3, run.out().stderr);
    assert.equal(outcome.killed, null);
    assert.match(run.out().stdout, new RegExp(`^listening on ${port}\\n$`));
    assert.equal(await canListen(port), true, 'the host port is released after the run');
    assert.deepEqual(bridgeProcesses(port), [], 'the bridge is gone after the run');
  });

  test('before the server listens, connections fail fast (reset) and a polling client gets through once it is up', async () => {
    const port = await freePort();
    const run = start({ command: ['node', 'server.cjs', String(port), '2000'], forwardPorts: [port] });
    const { res, failures, errors } = await waitUp(`http://127.0.0.1:${port}/hello`);
    assert.equal(res.status, 200);
    assert.ok(failures >= 3, `expected failed attempts before the server was up, got ${failures}`);
    // Failures after the host listener is up are resets, not hangs until a timeout.
    for (const e of errors) assert.doesNotMatch(e, /abort|timeout/i, e);
    run.kill('test done');
    const outcome = await run.done;
    assert.equal(outcome.killed?.by, 'requested');
    assert.equal(await canListen(port), true);
    assert.deepEqual(bridgeProcesses(port), []);
  });

  test('the submission still cannot reach the host loopback, nor tamper with the bridge', async () => {
    let hostConnections = 0;
    const host = net.createServer((s) => {
      hostConnections++;
      s.destroy();
    });
    await new Promise<void>((r) => host.listen(0, '127.0.0.1', () => r()));
    const hostPort = (host.address() as net.AddressInfo).port;
    try {
      const port = await freePort();
      const run = start({ command: ['node', 'server.cjs', String(port)], forwardPorts: [port] });
      await waitUp(`http://127.0.0.1:${port}/hello`);
      assert.equal(await (await fetch(`http://127.0.0.1:${port}/probe-host?port=${hostPort}`)).text(), 'ECONNREFUSED');
      assert.deepEqual(JSON.parse(await (await fetch(`http://127.0.0.1:${port}/tamper`)).text()), {
        write: 'EROFS',
        unlink: 'EROFS',
        script: 'EROFS',
      });
      // Still forwarding after the attempts.
      assert.equal((await fetch(`http://127.0.0.1:${port}/hello`)).status, 200);
      run.kill('test done');
      await run.done;
      assert.equal(hostConnections, 0);
    } finally {
      host.close();
    }
  });

  test('large bodies (both ways) and concurrent connections pass intact', async () => {
    const port = await freePort();
    const run = start({ command: ['node', 'server.cjs', String(port)], forwardPorts: [port] });
    const base = `http://127.0.0.1:${port}`;
    await waitUp(`${base}/hello`);

    const big = randomBytes(4 * 1024 * 1024 + 123);
    const echo = await fetch(`${base}/echo`, { method: 'POST', body: big });
    assert.equal(echo.headers.get('x-sha256'), createHash('sha256').update(big).digest('hex'), 'upload arrived intact');
    assert.ok(Buffer.from(await echo.arrayBuffer()).equals(big), 'download came back intact');

    const n = 5 * 1024 * 1024;
    const want = Buffer.alloc(n);
    for (let i = 0; i < n; i++) want[i] = (i * 7 + (i >> 10)) & 255;
    assert.ok(Buffer.from(await (await fetch(`${base}/big?n=${n}`)).arrayBuffer()).equals(want));

    const before = JSON.parse(await (await fetch(`${base}/stats`)).text()).connections as number;
    // Raw sockets (one connection each, no pooling), all open at once.
    const bodies = Array.from({ length: 24 }, (_, i) => randomBytes(200_000 + i * 1000));
    const replies = await Promise.all(
      bodies.map(
        (body) =>
          new Promise<Buffer>((resolve, reject) => {
            const s = net.connect(port, '127.0.0.1');
            const chunks: Buffer[] = [];
            s.on('connect', () =>
              s.write(`POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n`),
            );
            s.on('connect', () => s.write(body));
            s.on('data', (c) => chunks.push(c));
            s.on('error', reject);
            s.on('close', () => {
              const all = Buffer.concat(chunks);
              resolve(all.subarray(all.indexOf('\r\n\r\n') + 4));
            });
          }),
      ),
    );
    replies.forEach((r, i) => assert.ok(r.equals(bodies[i]!), `reply ${i} intact (${r.length} of ${bodies[i]!.length} bytes)`));
    const afterCount = JSON.parse(await (await fetch(`${base}/stats`)).text()).connections as number;
    assert.ok(afterCount - before >= bodies.length, `each concurrent client had its own connection (${afterCount - before})`);
    run.kill('test done');
    await run.done;
  });

  test('raw TCP: server speaks first, half-close passes, several ports at once', async () => {
    const [http, raw] = [await freePort(), await freePort()];
    const run = start({
      command: ['sh', '-c', `node raw.cjs ${raw} & exec node server.cjs ${http}`],
      forwardPorts: [http, raw],
    });
    await waitUp(`http://127.0.0.1:${http}/hello`);
    const talk = () =>
      new Promise<string>((resolve, reject) => {
        const s = net.connect({ port: raw, host: '127.0.0.1', allowHalfOpen: true });
        let got = '';
        s.on('data', (d) => {
          got += d;
          if (got === 'hi\n') s.end('x'.repeat(100_000)); // answer the banner, then half-close
        });
        s.setTimeout(3000, () => s.destroy());
        s.on('error', reject);
        s.on('close', () => resolve(got));
      });
    let reply = '';
    for (let i = 0; i < 50 && reply === ''; i++) {
      reply = await talk().catch(() => '');
      if (reply === '') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(reply, 'hi\ngot 100000\n');
    assert.equal((await fetch(`http://127.0.0.1:${http}/hello`)).status, 200);
    run.kill('test done');
    await run.done;
    assert.equal(await canListen(raw), true);
    assert.equal(await canListen(http), true);
  });

  test('through the exec.ts CLI: --forward-port, exit code, port released', async () => {
    const port = await freePort();
    const prefix = sandboxExecPrefix({ bundleDir: bundle, scratchDir: scratch(), limits: LIMITS, forwardPorts: [port] });
    assert.deepEqual(prefix.slice(prefix.indexOf('--forward-port'), prefix.indexOf('--forward-port') + 2), ['--forward-port', String(port)]);
    const child = spawn(prefix[0]!, [...prefix.slice(1), 'node', 'server.cjs', String(port), '500']);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const { res } = await waitUp(`http://127.0.0.1:${port}/hello`);
    assert.match(await res.text(), /^hello from the sandbox/);
    await fetch(`http://127.0.0.1:${port}/exit?code=5`);
    assert.equal(await exited, 5, err);
    assert.equal(out, `listening on ${port}\n`);
    assert.equal(await canListen(port), true);
    assert.deepEqual(bridgeProcesses(port), []);
  });

  test('a port taken on the host fails clearly before the submission starts (API and CLI)', async () => {
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const dir = scratch();
      assert.throws(
        () =>
          spawnSandboxed({
            bundleDir: bundle,
            scratchDir: dir,
            limits: LIMITS,
            command: ['sh', '-c', 'touch /scratch/started'],
            forwardPorts: [port],
          }),
        new RegExp(`port ${port} is already in use on the host's 127\\.0\\.0\\.1`),
      );
      const report = path.join(root, 'taken.json');
      const prefix = sandboxExecPrefix({ bundleDir: bundle, scratchDir: dir, limits: LIMITS, forwardPorts: [port], report });
      const child = spawn(prefix[0]!, [...prefix.slice(1), 'sh', '-c', 'touch /scratch/started']);
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
      assert.equal(code, 125);
      assert.match(err, /already in use/);
      assert.equal(JSON.parse(fs.readFileSync(report, 'utf8')).error, 'sandbox_error');
      assert.equal(fs.existsSync(path.join(dir, 'started')), false, 'the submission never ran');
    } finally {
      taken.close();
    }
  });

  test('limits, signals and tree kill still work with a bridge', async () => {
    const port = await freePort();
    const mem = start({ command: ['node', 'mem.cjs'], forwardPorts: [port], limits: { ...LIMITS, memoryMb: 128 } });
    const o1: SandboxOutcome = await mem.done;
    assert.equal(o1.killed?.by, 'memory', JSON.stringify(o1));
    assert.deepEqual(bridgeProcesses(port), []);

    const sig = start({ command: ['sh', '-c', 'kill -TERM $$'], forwardPorts: [port] });
    const o2 = await sig.done;
    assert.equal(o2.signal, 'SIGTERM');
    assert.equal(o2.exitCode, 128 + 15);

    const wall = start({ command: ['sleep', '30'], forwardPorts: [port], limits: { ...LIMITS, wallSeconds: 1 } });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(bridgeProcesses(port).length, 1);
    const o3 = await wall.done;
    assert.equal(o3.killed?.by, 'wall_time');
    assert.deepEqual(bridgeProcesses(port), []);
    assert.equal(await canListen(port), true);

    // stdio is the command's own: nothing from the bridge.
    const quiet = start({ command: ['sh', '-c', 'echo out; echo err >&2'], forwardPorts: [port] });
    const o4 = await quiet.done;
    assert.equal(o4.exitCode, 0);
    assert.deepEqual(quiet.out(), { stdout: 'out\n', stderr: 'err\n' });
  });
});
