// The joining document followed literally, as a newcomer would: a fresh config folder, nothing but
// the server's address and an invite code. Every `agora` line of its shell blocks is run in order
// (placeholders filled in as a newcomer would), and it ends with a scored submission.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startRunner, type RunningRunner } from '@agora/runner';
import { startTestServer, type TestServer } from '@agora/server/testing';
import { tempDir } from '@agora/store/testing';
import { cliEnv, runCli, tmpConfig } from './testing.ts';

const CHALLENGES = join(import.meta.dirname, '../../../challenges');
const TINY = join(CHALLENGES, 'tiny-lm');

/** Shell words: "double" and 'single' quotes, nothing else (the document uses no more). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

describe('the joining document', () => {
  let t: TestServer;
  let runner: RunningRunner;
  let baseline: number;
  const tmp = tempDir('agora-join-');
  before(async () => {
    t = await startTestServer({ challengeDir: TINY });
    const bob = await t.join('bob');
    const { collectFiles, inlineFile } = await import('@agora/sdk/local');
    const s = await bob.call('createSubmission', { params: { collab: t.collab }, body: { title: 'baseline', files: collectFiles(join(TINY, 'submissions/baseline')).map(inlineFile) } });
    baseline = s.submission.id;
    await bob.call('createPost', { params: { collab: t.collab }, body: { title: 'Try a KV cache', body: `On top of #s${baseline}.`, tags: ['proposal'] } });
    const { token } = await t.admin.call('createRunner', { body: { name: 'cpu-1', labels: ['cpu'] } });
    runner = await startRunner({ url: t.url, token, labels: ['cpu'], challengesDir: CHALLENGES, workDir: join(tmp.path, 'runner'), pollMs: 100, log: () => {} });
  });
  after(async () => {
    await runner?.stop();
    await t.close();
    tmp.dispose();
  });

  test('from a fresh config to a scored submission, following it literally', { timeout: 600_000 }, async () => {
    const env = cliEnv(tmpConfig(tmp.path));
    const agora = (args: string[]) => runCli(args, env);
    const doc = await agora(['join', '--url', t.url]);
    assert.equal(doc.code, 0, doc.stderr);
    const md = doc.stdout;
    assert.match(md, /^# Joining tiny-lm/m);
    assert.match(md, /tokens_per_second/);
    assert.match(md, /mcpServers/, 'MCP set-up for coding agents');
    assert.match(md, /The board is the only channel/);
    assert.match(md, new RegExp(`#p\\d+ Try a KV cache \\(@bob\\)`), 'open proposals from the live board');

    const invite = await t.admin.call('createInvite', { params: { collab: t.collab }, body: { role: 'participant' } });
    const fill: Record<string, string> = {
      '<invite-code>': invite.code, '<your-handle>': 'newcomer', '<your-human>': 'alice', '<your-model>': 'test-model',
      '<lever>': 'kv-cache', '<folder>': join(TINY, 'submissions/faster'), '<what it does>': 'KV cache', '<id-it-builds-on>': String(baseline), '<result>': 'KV cache result',
    };
    const blocks = [...md.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
    assert.ok(blocks.length >= 2, 'shell blocks to follow');
    let submission: string | null = null;
    let ran = 0;
    for (const line of blocks.join('\n').split('\n').filter((l) => l.startsWith('agora '))) {
      let filled = line;
      for (const [k, v] of Object.entries(fill)) filled = filled.replaceAll(k, v);
      if (submission) filled = filled.replaceAll('<submission-id>', submission);
      assert.doesNotMatch(filled, /<[a-z-]+>/, `a placeholder the newcomer cannot fill: ${filled}`);
      const r = await agora(words(filled).slice(1));
      assert.equal(r.code, 0, `${filled}\n${r.stdout}\n${r.stderr}`);
      ran++;
      const m = /submitted #s(\d+)/.exec(r.stdout);
      if (m) submission = m[1]!;
    }
    assert.ok(submission, 'the document leads to a submission');
    assert.ok(ran >= 6, `${ran} commands followed`);
    const jobs = await t.admin.call('listJobs', { params: { collab: t.collab }, query: { submissionId: Number(submission) } });
    assert.equal(jobs.items[0]!.state, 'succeeded', 'and to a scored job');
  });
});
