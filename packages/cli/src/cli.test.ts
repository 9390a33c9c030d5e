// The CLI as a real child process against a real server (startTestServer: PGlite or PostgreSQL
// per AGORA_TEST_ENGINE), with its own config file: identities, config, organizer verbs, errors.
// Board, kb, events, submissions and jobs are in cli-content.test.ts.

import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, writeFixtureChallenge, type TestServer } from '@agora/server/testing';
import { tempDir } from '@agora/store/testing';
import { cliEnv, json, ok, runCli, tmpConfig } from './testing.ts';


describe('agora CLI against a real server', () => {
  let t: TestServer;
  let tmp: { path: string; dispose(): void };
  let config: string;
  let env: NodeJS.ProcessEnv;
  const agora = (args: string[], input = '', extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra }, input);

  before(async () => {
    t = await startTestServer();
    tmp = tempDir('agora-cli-');
    config = tmpConfig(tmp.path);
    env = cliEnv(config);
    // login: the admin key on stdin (never on the command line), checked with the server, saved as the default profile.
    const r = await agora(['login', '--url', t.url, '--save-as', 'admin'], t.admin.apiKey!);
    assert.match(ok(r), /saved @organizer/);
  });
  after(async () => {
    await t.close();
    tmp.dispose();
  });

  test('the config file is private and whoami says where each setting came from', async () => {
    assert.equal(statSync(config).mode & 0o777, 0o600);
    const saved = JSON.parse(readFileSync(config, 'utf8'));
    assert.equal(saved.defaultProfile, 'admin');
    assert.equal(saved.profiles.admin.collaboration, t.collab);
    const me = json(await agora(['whoami', '--json']));
    assert.equal(me.participant.handle, 'organizer');
    assert.equal(me.isAdmin, true);
    const resolved = json(await agora(['config', '--json'])).resolved;
    assert.deepEqual([resolved.profile, resolved.url, resolved.collaboration, resolved.sources.apiKey], ['admin', t.url, t.collab, 'profile']);
    assert.ok(!JSON.stringify(resolved).includes(t.admin.apiKey!), '`config` masks keys');
    // The environment overrides the profile: a bad key is refused by the server, named as such.
    const bad = await agora(['whoami'], '', { AGORA_API_KEY: `agora_${'0'.repeat(16)}_${'A'.repeat(43)}` });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^error unauthorized: /m);
  });

  test('invite and register: the new key is saved as a profile named after the handle, the default stays', async () => {
    const inv = json(await agora(['invite', '--role', 'participant', '--json']));
    assert.match(inv.code, /^inv_/);
    const text = ok(await agora(['register', '--invite', inv.code, '--handle', 'ada', '--owner', 'alice', '--model', 'claude-opus']));
    assert.match(text, /api key: +agora_/);
    assert.match(text, /profile "ada"/);
    const saved = JSON.parse(readFileSync(config, 'utf8'));
    assert.equal(saved.defaultProfile, 'admin');
    assert.match(saved.profiles.ada.apiKey, /^agora_/);
    assert.equal(saved.profiles.ada.collaboration, t.collab);
    const me = json(await agora(['--profile', 'ada', 'whoami', '--json']));
    assert.equal(me.participant.handle, 'ada');
    assert.equal(me.participant.model, 'claude-opus');
    // A used-up invite is refused, and nothing is saved for the would-be member.
    const again = await agora(['register', '--invite', inv.code, '--handle', 'bob', '--owner', 'x']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error forbidden: invite code is unknown, used up or expired/m);
    assert.equal(JSON.parse(readFileSync(config, 'utf8')).profiles.bob, undefined);
    // A config that cannot be written never loses a key shown once: a warning, and the key is printed.
    const inv2 = json(await agora(['invite', '--json']));
    const notADir = join(tmp.path, 'a-file');
    writeFileSync(notADir, '');
    const unwritable = await agora(['register', '--url', t.url, '--invite', inv2.code, '--handle', 'cy', '--owner', 'x'], '', { AGORA_CONFIG: join(notADir, 'agora', 'config.json') });
    assert.equal(unwritable.code, 0, unwritable.stderr);
    assert.match(unwritable.stderr, /^warning: could not save to the config/m);
    assert.match(unwritable.stdout, /api key: +agora_[0-9a-f]{16}_/);
  });

  test('keys rotate: the new key replaces the old one in the profile and the old one stops working', async () => {
    const oldKey = JSON.parse(readFileSync(config, 'utf8')).profiles.ada.apiKey as string;
    const rotated = json(await agora(['--profile', 'ada', 'keys', 'rotate', '--label', 'laptop', '--json']));
    const saved = JSON.parse(readFileSync(config, 'utf8')).profiles.ada.apiKey as string;
    assert.equal(saved, rotated.apiKey);
    assert.notEqual(saved, oldKey);
    assert.equal(json(await agora(['--profile', 'ada', 'whoami', '--json'])).participant.handle, 'ada');
    const old = await agora(['whoami'], '', { AGORA_API_KEY: oldKey });
    assert.equal(old.code, 1);
    assert.match(old.stderr, /^error unauthorized: .*revoked/m);
    const keys = json(await agora(['--profile', 'ada', 'keys', 'list', '--json']));
    assert.equal(keys.items.filter((k: { revokedAt: string | null }) => k.revokedAt).length, 1);
  });

  test('organizer verbs: init, collabs, use, members, role, runner tokens', async () => {
    const dir = writeFixtureChallenge(join(tmp.path, 'challenge2'));
    const created = json(await agora(['init', dir, '--slug', 'second', '--json']));
    assert.equal(created.slug, 'second');
    const dup = await agora(['init', dir, '--slug', 'second']);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^error conflict: /m);
    const notAdmin = await agora(['--profile', 'ada', 'init', dir, '--slug', 'third']);
    assert.match(notAdmin.stderr, /^error forbidden: /m);
    assert.match(ok(await agora(['collabs'])), /second +organizer/);
    // `use` switches the profile's collaboration; --collab overrides it for one call.
    ok(await agora(['use', 'second']));
    assert.equal(JSON.parse(readFileSync(config, 'utf8')).profiles.admin.collaboration, 'second');
    assert.deepEqual(json(await agora(['members', '--json'])).items.map((m: { handle: string }) => m.handle), ['organizer']);
    assert.ok(json(await agora(['members', '--collab', t.collab, '--json'])).items.some((m: { handle: string }) => m.handle === 'ada'));
    const inv = json(await agora(['invite', '--role', 'observer', '--json']));
    assert.match(ok(await agora(['--profile', 'ada', 'join', 'second', '--invite', inv.code])), /joined second as observer/);
    const closed = json(await agora(['collab', 'update', '--observers', 'off', '--json']));
    assert.equal(closed.anonymousObservers, false);
    const anon = await agora(['members', '--collab', 'second'], '', { AGORA_URL: t.url, AGORA_PROFILE: 'none' });
    assert.match(anon.stderr, /^error unauthorized: /m);
    assert.equal((await agora(['collab', 'update', '--observers', 'maybe'])).code, 2);
    ok(await agora(['use', t.collab]));
    assert.match(ok(await agora(['role', '@ada', 'observer'])), /@ada is now observer/);
    const observer = await agora(['--profile', 'ada', 'board', 'post', '--title', 'x', 'y']);
    assert.match(observer.stderr, /^error forbidden: /m);
    ok(await agora(['role', 'ada', 'participant']));

    const runner = json(await agora(['runner', 'create', '--name', 'gpu box', '--labels', 'gpu,h100', '--json']));
    assert.match(runner.token, /^agora_runner_/);
    const listed = json(await agora(['runner', 'list', '--json'])).items.find((r: { id: number }) => r.id === runner.runnerId);
    assert.deepEqual(listed.labels, ['gpu', 'h100']);
    ok(await agora(['runner', 'revoke', String(runner.runnerId)]));
    assert.ok(json(await agora(['runner', 'list', '--json'])).items.find((r: { id: number }) => r.id === runner.runnerId).revokedAt);
    // The runner process itself is @agora/runner's: a revoked token is refused before anything is claimed.
    const start = await agora(['runner', 'start', '--labels', 'gpu', '--token', runner.token, '--work', join(tmp.path, 'rw')]);
    assert.equal(start.code, 1);
    assert.match(start.stderr, /revoked|unauthorized|refused/i);
  });

  test('errors: usage mistakes exit 2, server errors exit 1 as `error <code>: <message>` (with the body on stdout under --json)', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['board', 'post', 'no title'], 2, /^error usage: missing --title/m],
      [['board', 'read', 'abc'], 2, /^error usage: <post-id> must be a whole number/m],
      [['board', 'read', '--limit=-5'], 2, /^error usage: --limit must be at least 1/m],
      [['board', 'read', '--limit', '0'], 2, /^error usage: --limit must be at least 1/m],
      [['board', 'post', '--title', 'x', 'two', 'words'], 2, /^error usage: unexpected argument "words"/m],
      [['board', 'frobnicate'], 2, /^error usage: unknown command "board frobnicate"/m],
      [['whoami', '--bogus'], 2, /^error usage: Unknown option '--bogus'/m],
      [['--url', 'http://127.0.0.1:1', 'whoami'], 1, /^error unreachable: cannot reach the server at http:\/\/127\.0\.0\.1:1/m],
      [['--url', 'file:///etc/passwd', 'whoami'], 1, /^error config: the server address must be http\(s\)/m],
      [['--profile', 'nobody', 'whoami'], 1, /^error config: no profile "nobody"/m],
      [['--collab', 'no-such-collab', 'board', 'read'], 1, /^error not_found: /m],
      [['board', 'post', '--title', 'x', '   '], 1, /^error validation_failed: [\s\S]*body: the body is empty/m],
    ];
    const results = await Promise.all(cases.map(([args]) => agora(args)));
    cases.forEach(([args, code, re], i) => {
      const r = results[i]!;
      assert.equal(r.code, code, `${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
    });
    const r = await agora(['kb', 'get', 'no-such-page', '--json']);
    assert.equal(r.code, 1);
    assert.equal(JSON.parse(r.stdout).error.code, 'not_found');
    assert.match(ok(await agora(['--help'])), /board post/);
    assert.match(ok(await agora(['kb', '--help'])), /kb revert/);
  });
});
