// The stumbles a newcomer met following the README (issue 14, "A CLI a newcomer never trips on"),
// each checked with the CLI as a real child process against a real server (PGlite or PostgreSQL
// per AGORA_TEST_ENGINE): hints in the CLI's own words, links a browser can open, no repeats.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '@agora/server/testing';
import { tempDir } from '@agora/store/testing';
import { cliEnv, json, ok, runCli, tmpConfig } from './testing.ts';


describe('a CLI a newcomer never trips on', () => {
  let t: TestServer;
  let tmp: { path: string; dispose(): void };
  let env: NodeJS.ProcessEnv;
  const ada = ['--profile', 'ada'];
  const agora = (args: string[], input = '', extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra }, input);

  before(async () => {
    t = await startTestServer();
    tmp = tempDir('agora-cli-newcomer-');
    env = cliEnv(tmpConfig(tmp.path));
    ok(await agora(['login', '--url', t.url, '--save-as', 'admin'], t.admin.apiKey!));
    const invite = await t.admin.call('createInvite', { params: { collab: t.collab }, body: { role: 'participant' } });
    ok(await agora(['register', '--invite', invite.code, '--handle', 'ada', '--owner', 'alice']));
  });
  after(async () => {
    await t.close();
    tmp.dispose();
  });

  test('board new before any post says "nothing new", never "since #p0"', async () => {
    const empty = ok(await agora([...ada, 'board', 'new']));
    assert.equal(empty.trim(), 'nothing new');
  });

  test('a kb edit conflict names the flag to retry with (--base N), not the API field', async () => {
    ok(await agora(['kb', 'create', 'notes', '--title', 'Notes', '--category', 'playbook', 'one\n']));
    ok(await agora(['kb', 'edit', 'notes', '--base', '1', 'two\n']));
    const stale = await agora([...ada, 'kb', 'edit', 'notes', '--base', '1', 'three\n']);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^error edit_conflict: .*retry with --base 2/m);
    assert.doesNotMatch(stale.stderr, /baseRevision/);
    const missing = await agora([...ada, 'kb', 'revert', 'notes', '--to', '1', '--base', '9']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /--base 9 does not exist/);
    // --json keeps the server's answer whole, details included.
    const raw = await agora([...ada, 'kb', 'edit', 'notes', '--base', '1', 'three\n', '--json']);
    assert.equal(JSON.parse(raw.stdout).error.details.currentRevision, 2);
  });

  test('board post and reply print the dashboard page of the post, not the API URL', async () => {
    const posted = ok(await agora([...ada, 'board', 'post', '--title', 'Hello', 'first post']));
    const id = Number(/^posted #p(\d+): /.exec(posted)![1]);
    assert.equal(posted.trim(), `posted #p${id}: ${t.url}/c/${t.collab}/posts/${id}`);
    assert.doesNotMatch(posted, /\/api\//);
    const replied = ok(await agora(['board', 'reply', String(id), 'welcome']));
    assert.match(replied, new RegExp(`in thread #p${id}: ${t.url}/c/${t.collab}/posts/\\d+\\n$`));
  });

  test('board new shows a post that mentions me and replies to me once, with a note of the other reason', async () => {
    ok(await agora([...ada, 'board', 'mark-read']));
    const thread = json(await agora([...ada, 'board', 'post', '--title', 'Ask', 'question', '--json']));
    const reply = json(await agora(['board', 'reply', String(thread.id), 'answer for @ada', '--json']));
    const news = ok(await agora([...ada, 'board', 'new']));
    const rows = news.split('\n').filter((l) => l.includes(`#p${reply.id} `));
    assert.equal(rows.length, 1, `listed once:\n${news}`);
    assert.match(rows[0]!, /a reply to me$/);
    assert.match(news, /mentions of me \(1\)/);
    assert.doesNotMatch(news, /replies to me/, 'a group whose posts are all listed above is left out');
    // --json keeps the server's groups as they are.
    const raw = json(await agora([...ada, 'board', 'new', '--json']));
    assert.deepEqual([raw.mentionsOfMe.items[0].id, raw.repliesToMe.items[0].id], [reply.id, reply.id]);
    ok(await agora([...ada, 'board', 'new', '--mark-read']));
    assert.match(ok(await agora([...ada, 'board', 'new'])), new RegExp(`^nothing new \\(you have read up to #p${reply.id}\\)`));
  });

  test('a sponsored job is worded one way in show, list and its log; tries read apart from repeats', async () => {
    const invite = await t.admin.call('createInvite', { params: { collab: t.collab }, body: { role: 'participant' } });
    ok(await agora(['register', '--invite', invite.code, '--handle', 'bob', '--owner', 'bea']));
    const dir = join(tmp.path, 'sub');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'agora.json'), JSON.stringify({ command: ['node', 'main.js'] }));
    writeFileSync(join(dir, 'main.js'), 'console.log("score 1")\n');
    const s = json(await agora([...ada, 'submit', dir, '--title', 'to sponsor', '--stage', '--json'])).submission;
    const job = json(await agora(['--profile', 'bob', 'jobs', 'run', String(s.id), '--repeats', '2', '--json']));
    const who = "@ada's submission, sponsored by @bob";
    const shown = ok(await agora(['jobs', 'show', String(job.id)]));
    assert.match(shown, new RegExp(`^for: +${who}$`, 'm'));
    assert.match(shown, /, 2 measured repeats$/m);
    assert.match(shown, /^tries: +not tried yet \(at most \d+ tries\)/m);
    assert.doesNotMatch(shown, /originator|attempt/);
    assert.match(ok(await agora(['jobs', 'list'])), new RegExp(`#${job.id} .* ${who}`));
    assert.match(ok(await agora(['--profile', 'bob', 'jobs', 'logs', String(job.id)])), new RegExp(`\\[agora\\] queued: ${who};`));
    ok(await agora(['--profile', 'bob', 'jobs', 'cancel', String(job.id)]));
  });

  test('a mistyped command says the error first and suggests the nearest commands, not the whole help', async () => {
    const typo = await agora(['bord', 'post', '--title', 'x', 'y']);
    assert.equal(typo.code, 2);
    const lines = typo.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, /^error usage: unknown command "bord post/);
    assert.equal(lines[1], 'did you mean:');
    assert.equal(lines[2], '  agora board post');
    assert.ok(lines.length <= 6, `short:\n${typo.stderr}`);
    assert.equal(typo.stdout, '');
    assert.match((await agora(['whomai'])).stderr, /did you mean:\n {2}agora whoami\n/);
    const far = await agora(['xyzzy-plugh']);
    assert.equal(far.code, 2);
    assert.doesNotMatch(far.stderr, /did you mean/);
    assert.match(far.stderr, /`agora --help` lists the commands/);
  });

  test('kb bodies typed without a final newline diff only what changed', async () => {
    ok(await agora(['kb', 'create', 'no-eol', '--title', 'No EOL', '--category', 'playbook', 'alpha']));
    assert.equal(ok(await agora(['kb', 'get', 'no-eol', '--raw'])), 'alpha\n');
    ok(await agora(['kb', 'edit', 'no-eol', '--base', '1', 'alpha\nbeta']));
    const diff = ok(await agora(['kb', 'diff', 'no-eol']));
    assert.doesNotMatch(diff, /No newline at end of file/);
    assert.doesNotMatch(diff, /^-alpha$/m);
    assert.match(diff, /: \+1 -0\n/);
  });
});
