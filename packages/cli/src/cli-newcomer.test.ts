// The stumbles a newcomer met following the README (issue 14, "A CLI a newcomer never trips on"),
// each checked with the CLI as a real child process against a real server (PGlite or PostgreSQL
// per AGORA_TEST_ENGINE): hints in the CLI's own words, links a browser can open, no repeats.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startTestServer, writeFixtureChallenge, type TestServer } from '@agora/server/testing';
import { tempDir } from '@agora/store/testing';
import { REPO_ROOT } from './local.ts';
import { cliEnv, json, ok, runCli, Running, tmpConfig } from './testing.ts';

/** A challenge that declares its manifest (checked at upload) and offers one smoke run a day. */
const CHECKED = `submission:
  manifest: { file: agora.json, fields: { command: { type: argv, required: true } } }
smoke: { runs_per_day: 1, wall_seconds: 30 }
`;


describe('a CLI a newcomer never trips on', () => {
  let t: TestServer;
  let tmp: { path: string; dispose(): void };
  let env: NodeJS.ProcessEnv;
  const ada = ['--profile', 'ada'];
  const agora = (args: string[], input = '', extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra }, input);

  before(async () => {
    tmp = tempDir('agora-cli-newcomer-');
    t = await startTestServer({ challengeDir: writeFixtureChallenge(join(tmp.path, 'challenge'), CHECKED) });
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
    const typo = await agora(['bord', 'post', '--title', 'x', 'y'], '', { npm_lifecycle_event: 'agora' });
    assert.equal(typo.code, 2);
    const lines = typo.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, /^error usage: unknown command "bord post/);
    assert.equal(lines[1], 'did you mean:');
    assert.equal(lines[2], '  npm run agora -- board post', 'in the form the user typed');
    assert.ok(lines.length <= 6, `short:\n${typo.stderr}`);
    assert.equal(typo.stdout, '');
    assert.match((await agora(['whomai'])).stderr, /did you mean:\n {2}\S*agora whoami\n/);
    const far = await agora(['xyzzy-plugh']);
    assert.equal(far.code, 2);
    assert.doesNotMatch(far.stderr, /did you mean/);
    assert.match(far.stderr, /`\S*agora --help` lists the commands/);
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

  const folder = (name: string, files: Record<string, string | Buffer>) => {
    const dir = join(tmp.path, name);
    mkdirSync(dir, { recursive: true });
    for (const [p, c] of Object.entries(files)) writeFileSync(join(dir, p), c);
    return dir;
  };

  test('submit checks the bundle before uploading anything and prints every problem', async () => {
    const count = async () => json(await agora(['submissions', 'list', '--json'])).items.length;
    const before = await count();
    const dir = folder('broken', { 'agora.json': '{"comand": ["node", "main.js", "{port}"]}', 'x.txt': 'x' });
    const r = await agora([...ada, 'submit', dir, '--title', 'broken']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error unprocessable: 2 problems with the submission; nothing was uploaded/m);
    assert.match(r.stderr, /^ {2}- agora.json: "command" is missing/m);
    assert.match(r.stderr, /^ {2}- agora.json: unknown field "comand" .*did you mean "command"/m);
    assert.equal(await count(), before);
    const raw = await agora([...ada, 'submit', dir, '--title', 'broken', '--json']);
    assert.equal(JSON.parse(raw.stdout).error.details.problems.length, 2);
  });

  test('the ./agora launcher at the root passes arguments as typed (npm echoed them unquoted, with its banner)', async () => {
    const launched = await new Promise<{ code: number | null; stdout: string }>((res) => {
      const child = spawn(join(REPO_ROOT, 'agora'), [...ada, 'board', 'post', '--title', 'two words', 'a body; with $pecial "chars"', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('close', (code) => res({ code, stdout }));
    });
    assert.equal(launched.code, 0);
    const post = JSON.parse(launched.stdout);
    assert.deepEqual([post.title, post.body], ['two words', 'a body; with $pecial "chars"']);
  });

  test('a smoke run is asked for in one command, and the day\'s limit is said plainly', async () => {
    const dir = folder('smoked', { 'agora.json': '{"command": ["node", "main.js"]}', 'main.js': 'console.log("score 2")\n' });
    const s = json(await agora([...ada, 'submit', dir, '--title', 'smoked', '--json'])).submission;
    const queued = ok(await agora([...ada, 'submissions', 'smoke', String(s.id), '--no-wait'], '', { npm_lifecycle_event: 'agora' }));
    assert.match(queued, /^smoke run queued as job #(\d+) \(never charged, never ranked\): npm run agora -- jobs watch \1$/m);
    const again = await agora([...ada, 'submissions', 'smoke', String(s.id), '--no-wait']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error rate_limited: smoke runs used up: 1 of 1 in the last 24 hours/m);
  });

  test('jobs watch follows a job to its end, states on stderr, log lines on stdout, exit code by the final state', async () => {
    const s = json(await agora([...ada, 'submit', folder('watched', { 'agora.json': '{"command": ["node", "main.js"]}', 'main.js': '' }), '--title', 'watched', '--json'])).submission;
    const job = json(await agora([...ada, 'jobs', 'run', String(s.id), '--json']));
    const w = new Running([...ada, 'jobs', 'watch', String(job.id)], env);
    const j = new Running([...ada, 'jobs', 'watch', String(job.id), '--json'], env);
    await w.waitFor(new RegExp(`^job #${job.id}: queued`, 'm'), 20_000, 'stderr');
    await w.waitFor(/^platform +\[agora\] queued: /m);
    await j.waitFor(/"stream":"platform"/);
    ok(await agora([...ada, 'jobs', 'cancel', String(job.id)]));
    const [ended, endedJson] = await Promise.all([w.exited, j.exited]);
    assert.equal(ended.code, 1, 'cancelled is not a success');
    assert.match(w.stderr, new RegExp(`^job #${job.id}: cancelled$`, 'm'));
    assert.match(w.stderr, new RegExp(`^job #${job.id} ended cancelled: cancelled by @ada before it started`, 'm'));
    assert.match(w.stdout, /^platform +\[agora\] cancelled: /m);
    assert.equal(endedJson.code, 1);
    const lines = j.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.at(-1).state, 'cancelled', 'the last JSON line is the final job');
    assert.ok(lines.slice(0, -1).every((l) => typeof l.seq === 'number'), 'every other line is a log line');
  });

  test('a long upload shows its progress on stderr; --json stdout stays one clean document', async () => {
    const dir = folder('big', { 'agora.json': '{"command": ["node", "main.js"]}', 'main.js': '', 'weights.bin': randomBytes(9 * 1024 * 1024) });
    const r = await agora([...ada, 'submit', dir, '--title', 'big', '--json']);
    const created = json(r);
    assert.equal(created.submission.fileCount, 3);
    assert.match(r.stderr, /^packing 3 files/m);
    assert.match(r.stderr, /^upload [0-9a-f]+: 100% \(/m);
  });
});
