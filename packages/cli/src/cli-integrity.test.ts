// The integrity verbs (flag, flags, rule, rulings, withdraw, audit, lineage, frontier, progress,
// schedule, standings, verify, verifications) as a real child process against a real server, text and --json.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '@agora/server/testing';
import { tempDir } from '@agora/store/testing';
import { cliEnv, json, ok, runCli, tmpConfig } from './testing.ts';


describe('agora flag, rule, withdraw, audit, lineage against a real server', () => {
  let t: TestServer;
  let tmp: { path: string; dispose(): void };
  let env: NodeJS.ProcessEnv;
  const agora = (args: string[], input = '') => runCli(args, env, input);
  const sub: Record<string, number> = {};

  before(async () => {
    t = await startTestServer();
    tmp = tempDir('agora-cli-integrity-');
    env = cliEnv(tmpConfig(tmp.path));
    ok(await agora(['login', '--url', t.url, '--save-as', 'admin'], t.admin.apiKey!));
    for (const handle of ['ada', 'bo']) {
      const invite = await t.admin.call('createInvite', { params: { collab: t.collab }, body: { role: 'participant' } });
      ok(await agora(['register', '--invite', invite.code, '--handle', handle, '--owner', `${handle}-owner`]));
    }
    const mk = async (name: string, parents: number[], levers: string[]) => {
      const created = await t.admin.call('createSubmission', { params: { collab: t.collab }, body: { title: name, parents, levers, files: [{ path: 'x.py', content: `print("${name}")\n` }] } });
      sub[name] = created.submission.id;
    };
    await mk('base', [], []);
    await mk('trick', [sub.base!], ['trick']);
    await mk('trick-child', [sub.trick!], ['trick']);
  });
  after(async () => {
    await t.close();
    tmp.dispose();
  });

  test('flag, the queue, a ruling from stdin reaching descendants by lever, reinstatement, lineage marks, audit', async () => {
    const bo = ['--profile', 'bo'];
    const usage = await agora([...bo, 'flag', String(sub.trick), '--category', 'cheating', 'evidence']);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /--category is one of loophole, overfitting/);
    const flag = json(await agora([...bo, 'flag', `#s${sub.trick}`, '--category', 'loophole', '--json', '-'], 'It reads the answers from disk.\n'));
    assert.equal(flag.state, 'open');
    assert.match(ok(await agora([...bo, 'flags'])), new RegExp(`#f${flag.id} +#s${sub.trick} +loophole +open +@bo`));
    assert.match(ok(await agora(['flags', 'show', String(flag.id)])), /It reads the answers from disk/);
    const notMine = await agora(['--profile', 'ada', 'flags', 'show', String(flag.id)]);
    assert.equal(notMine.code, 1);
    assert.match(notMine.stderr, /error forbidden/);

    const ruling = json(await agora(['rule', 'uphold', '--title', 'No reading answers from disk', '--flag', `#f${flag.id}`, String(sub.trick), '--lever', 'trick', '--json', '-'], 'Rule 2: answers are computed.\n'));
    assert.deepEqual(ruling.invalidated, [sub.trick, sub['trick-child']]);
    assert.match(ok(await agora(['board', 'read', String(ruling.postId)])), /tags: ruling[\s\S]*Rule 2: answers are computed/);
    const lineage = ok(await agora(['lineage']));
    assert.match(lineage, new RegExp(`#s${sub['trick-child']} .*invalid \\(ruling ${ruling.id}, #p${ruling.postId}\\)`));
    assert.match(ok(await agora(['rulings'])), new RegExp(`${ruling.id} +uphold +#p${ruling.postId}`));

    const back = json(await agora(['rule', 'reinstate', '--title', 'On appeal', '--revokes', String(ruling.id), '--json', '-'], 'The file was a cache.\n'));
    assert.deepEqual(back.reinstated, [sub.trick, sub['trick-child']]);
    assert.doesNotMatch(ok(await agora(['lineage', String(sub.trick)])), /invalid/);

    const audit = json<{ items: Array<{ type: string }> }>(await agora(['audit', '--types', 'ruling.made', '--json']));
    assert.equal(audit.items.length, 2);
    assert.equal((await agora([...bo, 'audit'])).code, 1, 'participants cannot read it');
  });

  test('withdraw, schedule, frontier, progress and standings', async () => {
    const denied = await agora(['--profile', 'bo', 'withdraw', String(sub.base)]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /only its author/);
    assert.match(ok(await agora(['withdraw', String(sub.base), '--reason', 'superseded'])), /withdrew/);
    assert.match(ok(await agora(['lineage', String(sub.base)])), /withdrawn/);
    assert.match(ok(await agora(['schedule'])), /phase: open/);
    assert.match(ok(await agora(['frontier'])), /score against error/);
    assert.match(ok(await agora(['progress'])), /no verified result yet/);
    const none = await agora(['standings']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /error not_found/);
    const early = await agora(['standings', 'publish']);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /no end in its schedule/);
  });

  test('verify on demand, the verifications, an override refused while the run is pending', async () => {
    const denied = await agora(['--profile', 'bo', 'verify', String(sub['trick-child'])]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /error forbidden/);
    const v = json<{ id: number; state: string; reason: string; jobId: number }>(await agora(['verify', `#s${sub['trick-child']}`, '--json']));
    assert.deepEqual([v.state, v.reason], ['pending', 'organizer']);
    assert.match(ok(await agora(['verifications'])), new RegExp(`${v.id} +#s${sub['trick-child']} +${v.jobId} +organizer +pending`));
    assert.match(ok(await agora(['verifications', 'show', String(v.id)])), /requested by @organizer/);
    const early = await agora(['verifications', 'override', String(v.id), '--verdict', 'verified', '--reason', 'checked by hand']);
    assert.equal(early.code, 1);
    assert.match(early.stderr, /error conflict.*no verdict to override/);
  });
});
