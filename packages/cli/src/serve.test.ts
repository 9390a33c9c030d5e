// `agora serve` as a child process on a free port with a fresh embedded database: the first start
// prints the first organizer key, a restart does not; SIGINT exits cleanly. (PostgreSQL is the same
// code path with AGORA_DATABASE_URL, covered by the server's own tests.)

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliEnv, runCli, Running, tmpConfig } from './testing.ts';

const tmp = mkdtempSync(join(tmpdir(), 'agora-serve-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const env = cliEnv(tmpConfig(tmp));

async function serve(): Promise<{ s: Running; url: string; adminKey: string | null }> {
  const s = new Running(['serve', '--port', '0', '--data', join(tmp, 'data'), '--json'], env);
  const ready = JSON.parse((await s.waitFor(/^\{.*\}$/m, 60_000))[0]) as { url: string; adminKey: string | null; database: string };
  assert.match(ready.database, /^PGlite \(embedded\) in /);
  const health = (await (await fetch(`${ready.url}/healthz`)).json()) as { ok: boolean };
  assert.equal(health.ok, true);
  return { s, url: ready.url, adminKey: ready.adminKey };
}

async function stop(s: Running): Promise<void> {
  s.child.kill('SIGINT');
  const end = await s.exited;
  assert.equal(end.code, 0, s.stderr);
}

test('agora serve: the first start prints the organizer key once, a restart does not; SIGINT stops it cleanly', async () => {
  const first = await serve();
  try {
    assert.match(first.adminKey ?? '', /^agora_[0-9a-f]{16}_/);
    // The printed key works: `login` checks it with the server and saves it.
    const login = await runCli(['login', '--url', first.url], env, first.adminKey!);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stdout, /saved @organizer/);
  } finally {
    await stop(first.s);
  }
  const second = await serve();
  try {
    assert.equal(second.adminKey, null);
    // A taken port is named instead of crashing.
    const port = new URL(second.url).port;
    const clash = await runCli(['serve', '--port', port, '--data', join(tmp, 'other')], env);
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, new RegExp(`^error port_in_use: port ${port} on 127\\.0\\.0\\.1 is in use`, 'm'));
  } finally {
    await stop(second.s);
  }
});
