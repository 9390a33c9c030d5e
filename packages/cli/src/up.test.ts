// `agora up` end to end, as a child process on a free port with a fresh data folder: it prints the
// address and the first organizer key (saved in the config), answers /healthz, loads the demo,
// registers a local runner, stops cleanly on SIGINT, and a second start reuses all of it.
// Embedded database only (that is what `up` is for), so this file runs once, not per engine.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { cliEnv, runCli, Running, tmpConfig } from './testing.ts';

/** The local runner refuses jobs without bubblewrap (unless --allow-unsandboxed): the job part needs it. */
const hasBwrap = () => spawnSync('bwrap', ['--version']).status === 0;

interface Ready { url: string; adminKey: string | null; profile: string | null; collaboration: string | null; runnerId: number | null; dataDir: string }

describe('agora up', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'agora-up-'));
  const data = join(tmp, 'data');
  const config = tmpConfig(tmp);
  const env = cliEnv(config);
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const start = async (extra: string[] = []) => {
    const up = new Running(['up', '--port', '0', '--data', data, '--json', ...extra], env);
    const line = await up.waitFor(/^\{.*\}$/m, 60_000);
    return { up, ready: JSON.parse(line[0]) as Ready };
  };
  const stop = async (up: Running) => {
    up.child.kill('SIGINT');
    const end = await up.exited;
    assert.equal(end.code, 0, `exit ${end.code} ${end.signal}\n${up.stderr}`);
    assert.match(up.stderr, /Agora stopped/);
  };

  test('first start: address, first organizer key saved as the default profile, demo, runner, clean SIGINT', async () => {
    const { up, ready } = await start();
    try {
      assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(ready.adminKey ?? '', /^agora_[0-9a-f]{16}_/);
      const health = (await (await fetch(`${ready.url}/healthz`)).json()) as { ok: boolean; engine: string };
      assert.deepEqual([health.ok, health.engine], [true, 'pglite']);

      const saved = JSON.parse(readFileSync(config, 'utf8'));
      assert.equal(saved.defaultProfile, 'local');
      assert.equal(saved.profiles.local.apiKey, ready.adminKey);
      assert.equal(saved.profiles.local.url, ready.url);
      assert.equal(statSync(config).mode & 0o777, 0o600);

      // The CLI works right away with what `up` saved.
      const me = await runCli(['whoami', '--json'], env);
      assert.equal(me.code, 0, me.stderr);
      assert.equal(JSON.parse(me.stdout).isAdmin, true);

      // The demo challenge is a collaboration (when its folder is there), and the local runner is registered and alive.
      if (existsSync(join(import.meta.dirname, '../../../challenges/tiny-lm/challenge.yaml'))) {
        assert.equal(ready.collaboration, 'tiny-lm');
        assert.equal(saved.profiles.local.collaboration, 'tiny-lm');
      }
      assert.ok(ready.runnerId && ready.runnerId > 0);
      const runners = await runCli(['runner', 'list', '--json'], env);
      assert.equal(runners.code, 0, runners.stderr);
      const mine = (JSON.parse(runners.stdout) as { items: Array<{ id: number; lastSeenAt: string | null }> }).items.find((r) => r.id === ready.runnerId);
      assert.ok(mine?.lastSeenAt, 'the local runner has sent a heartbeat');
      assert.equal(statSync(join(data, 'runner-token.json')).mode & 0o777, 0o600);

      // The demo works end to end: the baseline submission, scored by the local runner in its sandbox.
      if (ready.collaboration && hasBwrap()) {
        const baseline = join(import.meta.dirname, '../../../challenges/tiny-lm/submissions/baseline');
        const sub = await runCli(['submit', baseline, '--title', 'baseline', '--json'], env);
        assert.equal(sub.code, 0, sub.stderr);
        const id = JSON.parse(sub.stdout).submission.id as number;
        const job = await runCli(['jobs', 'run', String(id), '--wait', '--json'], env);
        assert.equal(job.code, 0, `${job.stdout}\n${job.stderr}\n--- up\n${up.stderr}`);
        const done = JSON.parse(job.stdout);
        assert.equal(done.state, 'succeeded');
        assert.equal(done.result.guardrailsPassed, true);
        const board = JSON.parse((await runCli(['leaderboard', '--json'], env)).stdout);
        assert.equal(board.items[0].submissionId, id);
      }

      // One process per data folder: a second `up` on it is refused, the first keeps running.
      const twice = await runCli(['up', '--port', '0', '--data', data], env);
      assert.equal(twice.code, 1);
      assert.match(twice.stderr, /^error locked: another agora process \(pid \d+\) is using /m);
      assert.equal((await fetch(`${ready.url}/healthz`)).status, 200);
    } finally {
      await stop(up);
    }
    assert.ok(!existsSync(join(data, 'agora.pid')), 'the lock is released');
  });

  test('second start: no new key, same runner, the profile follows the new port; admin-key only while stopped', async () => {
    const { up, ready } = await start(['--demo', join(tmp, 'no-such-challenge')]);
    try {
      assert.equal(ready.adminKey, null);
      assert.equal(ready.collaboration, null);
      assert.match(up.stderr, /demo: no challenge at .*no-such-challenge/);
      assert.equal(ready.runnerId, 1, 'the saved runner token is reused');
      assert.equal(JSON.parse(readFileSync(config, 'utf8')).profiles.local.url, ready.url);
      const me = await runCli(['whoami', '--json'], env);
      assert.equal(me.code, 0, me.stderr);
      const locked = await runCli(['admin-key', '--data', data], env);
      assert.equal(locked.code, 1);
      assert.match(locked.stderr, /^error locked: /m);
    } finally {
      await stop(up);
    }
    const fresh = await runCli(['admin-key', '--data', data, '--json'], env);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.match(JSON.parse(fresh.stdout).apiKey, /^agora_[0-9a-f]{16}_/);
    const none = await runCli(['admin-key', '--data', join(tmp, 'empty')], env);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^error no_database: /m);
    assert.ok(!existsSync(join(tmp, 'empty', 'pglite')), 'nothing is created in a folder that had no database');
  });
});
