// The CLI's content verbs (board, knowledge base, events, submissions and jobs) as a real child
// process against a real server (startTestServer: PGlite or PostgreSQL per AGORA_TEST_ENGINE).
// Identities, config, organizer verbs and errors are in cli.test.ts.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AgoraClient } from '@agora/sdk';
import { startTestServer, type TestServer } from '@agora/server/testing';
import { tempDir } from '@agora/store/testing';
import { cliEnv, json, ok, runCli, Running, tmpConfig } from './testing.ts';


describe('agora board, kb, events, submit and jobs against a real server', () => {
  let t: TestServer;
  let tmp: { path: string; dispose(): void };
  let env: NodeJS.ProcessEnv;
  const agora = (args: string[], input = '', extra: Record<string, string> = {}) => runCli(args, { ...env, ...extra }, input);

  before(async () => {
    t = await startTestServer();
    tmp = tempDir('agora-cli-');
    env = cliEnv(tmpConfig(tmp.path));
    ok(await agora(['login', '--url', t.url, '--save-as', 'admin'], t.admin.apiKey!));
    const invite = await t.admin.call('createInvite', { params: { collab: t.collab }, body: { role: 'participant' } });
    ok(await agora(['register', '--invite', invite.code, '--handle', 'ada', '--owner', 'alice']));
  });
  after(async () => {
    await t.close();
    tmp.dispose();
  });

  test('board: post from stdin, reply, read, new for me, mark read, search, edit with a stale revision, hide', async () => {
    const ada = ['--profile', 'ada'];
    const post = json(await agora([...ada, 'board', 'post', '--title', 'KV cache <script>alert(1)</script>', '--tag', 'proposal', '-', '--json'], 'Cache keys and values; ask @organizer.\n'));
    assert.equal(post.title, 'KV cache <script>alert(1)</script>');
    assert.equal(post.body, 'Cache keys and values; ask @organizer.\n');
    assert.deepEqual(post.tags, ['proposal']);
    const reply = json(await agora(['board', 'reply', `#p${post.id}`, 'Go ahead, @ada', '--json']));
    assert.equal(reply.threadId, post.id);

    const threads = ok(await agora(['board', 'read']));
    assert.match(threads, new RegExp(`#p${post.id} +@ada .*proposal +1 `));
    const thread = ok(await agora(['board', 'read', String(post.id)]));
    assert.match(thread, /Cache keys and values/);
    assert.match(thread, /Go ahead, @ada/);

    const news = ok(await agora([...ada, 'board', 'new', '--mark-read']));
    // The reply mentions ada: listed once, under its first reason, with the other one noted.
    assert.match(news, /mentions of me \(1\)/);
    assert.match(news, new RegExp(`#p${reply.id} .*a reply to me\n`));
    assert.match(news, new RegExp(`marked read up to #p${reply.id}`));
    assert.match(ok(await agora([...ada, 'board', 'new'])), /^nothing new/);

    const hits = json(await agora(['board', 'search', 'cache', 'keys', '--json']));
    assert.deepEqual(hits.items.map((h: { id: number }) => h.id), [post.id]);

    ok(await agora([...ada, 'board', 'edit', String(post.id), '--expected-revision', '1', 'Cache keys and values (edited).']));
    const stale = await agora([...ada, 'board', 'edit', String(post.id), '--expected-revision', '1', 'again']);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^error edit_conflict: /m);

    const notMine = await agora([...ada, 'board', 'hide', String(reply.id), '--reason', 'spam']);
    assert.equal(notMine.code, 1);
    assert.match(notMine.stderr, /^error forbidden: /m);
    ok(await agora(['board', 'hide', String(post.id), '--reason', 'duplicate of a ruling']));
    const asAda = ok(await agora([...ada, 'board', 'read', String(post.id)]));
    assert.match(asAda, /\[hidden by @organizer .*duplicate of a ruling\]/);
    assert.doesNotMatch(asAda, /Cache keys/);
  });

  test('terminal safety: control and bidi characters in others\' text are shown escaped, never sent raw', async () => {
    // C1 CSI (U+009B) and a right-to-left override pass the server's rules for bodies; a terminal would act on them.
    const body = 'colour \u009b31m red \u202egnp.exe';
    const post = json(await agora(['--profile', 'ada', 'board', 'post', '--title', 'escapes', body, '--json']));
    const shown = ok(await agora(['board', 'read', String(post.id)]));
    assert.ok(!shown.includes('\u009b') && !shown.includes('\u202e'), 'raw control characters reached the terminal');
    assert.match(shown, /colour \\u009b31m red \\u202egnp\.exe/);
    // --json is the raw response: the text as written.
    assert.equal(json(await agora(['board', 'read', String(post.id), '--json'])).post.body, body);
  });

  test('kb: create from a file, get --raw, a stale edit shows the diff to merge, history, diff, revert, search', async () => {
    const file = join(tmp.path, 'page.md');
    writeFileSync(file, '# Playbook\n\nMeasure first.\n');
    ok(await agora(['kb', 'create', 'playbook', '--title', 'Playbook', '--category', 'playbook', '--file', file]));
    assert.equal(ok(await agora(['kb', 'get', 'playbook', '--raw'])), '# Playbook\n\nMeasure first.\n');
    writeFileSync(file, '# Playbook\n\nMeasure first.\nThen cache.\n');
    ok(await agora(['--profile', 'ada', 'kb', 'edit', 'playbook', '--base', '1', '--file', file, '--summary', 'cache']));
    const stale = await agora(['kb', 'edit', 'playbook', '--base', '1', 'Something else']);
    assert.equal(stale.code, 1);
    assert.match(stale.stderr, /^error edit_conflict: /m);
    assert.match(stale.stderr, /\+Then cache\./, 'the conflict shows what changed since the base');
    const noBase = await agora(['kb', 'edit', 'playbook', 'text']);
    assert.equal(noBase.code, 2);
    assert.match(noBase.stderr, /missing --base N/);
    assert.match(ok(await agora(['kb', 'history', 'playbook'])), /2 +@ada .*cache/);
    assert.match(ok(await agora(['kb', 'diff', 'playbook'])), /^\+Then cache\.$/m);
    const reverted = json(await agora(['kb', 'revert', 'playbook', '--to', '1', '--base', '2', '--json']));
    assert.equal(reverted.revision.number, 3);
    assert.equal(reverted.revision.body, '# Playbook\n\nMeasure first.\n');
    const found = json(await agora(['kb', 'search', 'measure', '--json']));
    assert.deepEqual(found.items.map((p: { slug: string }) => p.slug), ['playbook']);
    const badCategory = await agora(['kb', 'create', 'x', '--title', 'X', '--category', 'nonsense', 'body']);
    assert.equal(badCategory.code, 2);
  });

  test('events: the log as JSON, and --follow streams new events until SIGINT, with a resume hint', async () => {
    const log = json<{ items: Array<{ id: number; type: string }>; lastId: number }>(await agora(['events', '--limit', '1000', '--json']));
    assert.ok(log.items.some((e) => e.type === 'post.created'));
    const badType = await agora(['events', '--types', 'post.created,no.such']);
    assert.equal(badType.code, 2);
    assert.match(badType.stderr, /unknown event type no\.such; the types are: .*job\.succeeded/);
    const follow = new Running(['events', '--follow', '--after', String(log.lastId), '--types', 'post.created', '--json'], env);
    await new Promise((r) => setTimeout(r, 300));
    const post = json(await agora(['--profile', 'ada', 'board', 'post', '--title', 'live', 'streamed', '--json']));
    const m = await follow.waitFor(/^.*"type":"post\.created".*$/m);
    const e = JSON.parse(m[0]);
    assert.ok(e.id > log.lastId);
    assert.equal(e.subject, `#p${post.id}`);
    follow.child.kill('SIGINT');
    const end = await follow.exited;
    assert.equal(end.code, 0, follow.stderr);
    assert.match(follow.stderr, new RegExp(`resume with --after ${e.id}`));
  });

  test('submit a folder, list and show it, queue a job on the quota and cancel it (refunded)', async () => {
    const dir = join(tmp.path, 'sub');
    mkdirSync(join(dir, 'lib'), { recursive: true });
    writeFileSync(join(dir, 'agora.json'), JSON.stringify({ command: ['node', 'main.js'] }));
    writeFileSync(join(dir, 'main.js'), 'console.log("score 1")\n', { mode: 0o755 });
    writeFileSync(join(dir, 'lib', 'weights.bin'), Buffer.from([0, 255, 1, 254, 0x80]));
    const ada = ['--profile', 'ada'];
    const created = json(await agora([...ada, 'submit', dir, '--title', 'first try', '--lever', 'kv-cache', '--json']));
    const s = created.submission;
    assert.deepEqual(s.files.map((f: { path: string }) => f.path).sort(), ['agora.json', 'lib/weights.bin', 'main.js']);
    assert.equal(s.files.find((f: { path: string }) => f.path === 'main.js').executable, true);
    assert.equal(s.files.find((f: { path: string }) => f.path === 'lib/weights.bin').size, 5);
    assert.match(ok(await agora(['submissions', 'list'])), new RegExp(`#s${s.id} +@ada .*kv-cache .*first try`));
    assert.match(ok(await agora(['submissions', 'show', `#s${s.id}`])), /lib\/weights\.bin +5/);
    assert.equal(ok(await agora(['submissions', 'file', String(s.id), 'main.js'])), 'console.log("score 1")\n');
    assert.match((await agora(['submissions', 'file', String(s.id), 'lib/weights.bin'])).stderr, /5 bytes of binary data/);
    assert.equal(Buffer.from(json(await agora(['submissions', 'file', String(s.id), 'lib/weights.bin', '--json'])).base64, 'base64').length, 5);
    assert.match(ok(await agora(['challenge', 'files'])), /challenge\.yaml/);
    assert.match(ok(await agora(['challenge', 'file', 'challenge.yaml'])), /^id: fixture/m);
    assert.equal((await agora(['challenge', 'file', 'harness.ts'])).code, 1, 'only public challenge files');

    const before = json(await agora([...ada, 'quota', '--json']));
    const job = json(await agora([...ada, 'jobs', 'run', String(s.id), '--json']));
    assert.equal(job.state, 'queued');
    assert.equal(json(await agora([...ada, 'quota', '--json'])).used, before.used + 1);
    assert.match(ok(await agora(['jobs', 'list'])), new RegExp(`#${job.id} +#s${s.id} +public +queued`));
    const cancelled = json(await agora([...ada, 'jobs', 'cancel', String(job.id), '--reason', 'wrong split', '--json']));
    assert.equal(cancelled.state, 'cancelled');
    assert.equal(json(await agora([...ada, 'quota', '--json'])).used, before.used, 'a cancelled queued job is refunded');
    // Someone else's submission is not theirs to stage.
    const other = await agora(['submissions', 'stage', String(s.id)]);
    assert.equal(other.code, 1);
  });

  test('large bundles go through an uploaded archive; artifacts upload in resumable chunks and are referenced by hash', async () => {
    const ada = ['--profile', 'ada'];
    const dir = join(tmp.path, 'large');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'agora.json'), JSON.stringify({ command: ['node', 'main.js'] }));
    const blob = randomBytes(900 * 1024);
    writeFileSync(join(dir, 'blob.bin'), blob);
    const big = json(await agora([...ada, 'submit', dir, '--title', 'large', '--json'])).submission;
    assert.equal(big.totalBytes, blob.length + readFileSync(join(dir, 'agora.json')).length);
    assert.equal(big.files.find((f: { path: string }) => f.path === 'blob.bin').sha256, createHash('sha256').update(blob).digest('hex'));

    // 9 MiB: more than one 8 MiB chunk.
    const weights = join(tmp.path, 'weights.bin');
    const bytes = randomBytes(9 * 1024 * 1024);
    writeFileSync(weights, bytes);
    const up = await agora([...ada, 'artifacts', 'upload', weights, '--json']);
    const art = json(up);
    assert.equal(art.sha256, createHash('sha256').update(bytes).digest('hex'));
    assert.equal(art.size, bytes.length);
    assert.match(up.stderr, /in 2 chunks/);
    assert.equal(json(await agora(['artifacts', 'show', art.sha256, '--json'])).uploadedBy, 'ada');

    const small = join(tmp.path, 'small');
    mkdirSync(small, { recursive: true });
    writeFileSync(join(small, 'agora.json'), '{}');
    const withArt = json(await agora([...ada, 'submit', small, '--title', 'with weights', '--artifact', `model/weights.bin=${art.sha256}`, '--parent', `#s${big.id}`, '--json'])).submission;
    assert.deepEqual(withArt.artifacts.map((x: { path: string; sha256: string }) => [x.path, x.sha256]), [['model/weights.bin', art.sha256]]);
    assert.deepEqual(withArt.parents, [big.id]);
    const badRef = await agora([...ada, 'submit', small, '--title', 'x', '--artifact', 'nohash']);
    assert.equal(badRef.code, 2);

    const out = join(tmp.path, 'bundle.tar.gz');
    ok(await agora(['submissions', 'download', String(big.id), '--out', out]));
    assert.deepEqual([...readFileSync(out).subarray(0, 2)], [0x1f, 0x8b], 'a gzip file');
    const again = await agora(['submissions', 'download', String(big.id), '--out', out]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^error file: .* exists already/m);
    const got = join(tmp.path, 'weights.copy');
    ok(await agora(['artifacts', 'download', art.sha256, '--out', got]));
    assert.ok(readFileSync(got).equals(bytes));
  });
});

describe('agora compare and leaderboard against a real server', () => {
  let t: TestServer;
  let tmp: { path: string; dispose(): void };
  let env: NodeJS.ProcessEnv;
  const agora = (args: string[]) => runCli(args, env);
  before(async () => {
    t = await startTestServer();
    tmp = tempDir('agora-cli-');
    env = cliEnv(tmpConfig(tmp.path));
    ok(await runCli(['login', '--url', t.url, '--save-as', 'admin'], env, t.admin.apiKey!));
  });
  after(async () => {
    await t.close();
    tmp.dispose();
  });

  test('compare A B --json: better, tie, with the interval of the ratio; the leaderboard prints the noise floor', async () => {
    const { token } = await t.admin.call('createRunner', { body: { name: 'cli-runner', labels: ['cpu'] } });
    const runner = new AgoraClient({ url: t.url, apiKey: token });
    const sub = async (name: string) =>
      (await t.admin.call('createSubmission', { params: { collab: t.collab }, body: { title: name, files: [{ path: 'serve.py', content: `print('${name}')\n` }] } })).submission.id;
    const score = async (id: number, samples: number[]) => {
      await t.admin.call('createJob', { params: { collab: t.collab }, body: { submissionId: id, split: 'public' } });
      const { job } = await runner.call('claimJob', { body: { labels: ['cpu'] } });
      const result = { harness: { name: 'fixture', version: '1' }, split: 'public', status: 'ok' as const, failure: null, metric: { name: 'score', unit: 'points', direction: 'maximize' as const, samples }, guardrails: [], samples: [], environment: {}, extra: {} };
      await runner.call('submitJobResult', { params: { id: job!.jobId }, body: { leaseToken: job!.leaseToken, outcome: 'succeeded', result, environment: { cpu: 'AMD EPYC 7R32' } } });
    };
    const [fast, slow, same] = [await sub('fast'), await sub('slow'), await sub('same')];
    await score(fast, [150, 151, 149]);
    await score(slow, [100, 101, 99]);
    await score(same, [100.5, 99.5, 100]);
    const better = json(await agora(['compare', String(fast), String(slow), '--json']));
    assert.equal(better.verdict, 'better');
    assert.ok(better.ratio.low > 1.4 && better.ratio.high < 1.6, JSON.stringify(better.ratio));
    const tie = json(await agora(['compare', String(same), String(slow), '--json']));
    assert.equal(tie.verdict, 'tie');
    assert.match(ok(await agora(['compare', String(slow), String(fast)])), new RegExp(`#s${slow} is worse than #s${fast}: ratio A/B 0\\.6`));
    const missing = await agora(['compare', String(fast), '999']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /not_found/);
    assert.equal((await agora(['compare', String(fast)])).code, 2, 'a usage error');
    assert.match(ok(await agora(['leaderboard'])), /noise floor cpu:amd epyc 7r32: .*% per sample; smallest difference compare can call/);
  });
});
