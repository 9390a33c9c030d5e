// Issue 11's flags and rulings end to end on the engine under test, on tiny-lm: real example
// bundles scored by a real runner in the sandbox; a flag is upheld, invalidating two submissions
// and their descendants that carry a lever; they leave the leaderboard and stay in the lineage,
// marked with the ruling; a later ruling reinstates them and they are back on the leaderboard (listed,
// unranked until each has tiny-lm's minimum of 3 jobs: one job each here).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { create } from 'tar';
import { readResponse, type AgoraClient } from '@agora/sdk';
import { startTestServer, type TestServer } from '../../server/src/testing.ts';
import { DEFAULT_CHALLENGES } from './cli.ts';
import { startRunner, type RunningRunner } from './runner.ts';
import { sandboxSkip } from './sandbox/test-gate.ts';
import { until } from './testbed.ts';

const TINY = join(DEFAULT_CHALLENGES, 'tiny-lm');

describe('tiny-lm: a flag upheld by lineage and lever, then reinstated', { skip: sandboxSkip() }, () => {
  let t: TestServer;
  let olga: AgoraClient, ada: AgoraClient, bo: AgoraClient;
  let runner: RunningRunner | undefined;
  const work = mkdtempSync(join(tmpdir(), 'agora-rulings-tinylm-'));
  const P = () => ({ collab: t.collab });
  before(async () => {
    t = await startTestServer({ challengeDir: TINY });
    [olga, ada, bo] = [await t.join('olga', 'organizer'), await t.join('ada'), await t.join('bo')];
  });
  after(async () => {
    await runner?.stop();
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Uploads an example folder as a tar.gz; `note` adds a file, so a child differs from its parent by exactly that. */
  async function upload(who: AgoraClient, example: string, title: string, query: Record<string, string>, note?: string): Promise<number> {
    let dir = join(TINY, 'submissions', example);
    if (note) {
      const copy = join(work, title);
      cpSync(dir, copy, { recursive: true });
      writeFileSync(join(copy, 'NOTES.md'), `${note}\n`);
      dir = copy;
    }
    const file = join(work, `${title}.tar.gz`);
    await create({ gzip: true, file, cwd: dir, portable: true }, ['.']);
    const res = await fetch(who.path('uploadSubmission', P(), { title, ...query }), { method: 'POST', headers: who.headers({ 'content-type': 'application/gzip' }), body: readFileSync(file) });
    return ((await readResponse(res)) as { submission: { id: number } }).submission.id;
  }

  const finished = (jobId: number) =>
    until(`job ${jobId}`, async () => {
      const j = await ada.call('getJob', { params: { ...P(), id: jobId } });
      return ['succeeded', 'failed', 'errored', 'timed_out'].includes(j.state) ? j : null;
    }, 300_000);

  test('two submissions and their lever-carrying descendants leave the leaderboard, stay in the lineage marked, and come back', async () => {
    const base = await upload(ada, 'baseline', 'baseline', {});
    const faster = await upload(ada, 'faster', 'KV cache', { parents: `#s${base}`, levers: 'kv-cache' });
    const overfit = await upload(bo, 'overfit', 'answers table', { parents: `#s${base}`, levers: 'memo' });
    const overfitChild = await upload(ada, 'overfit', 'answers table, documented', { parents: `#s${overfit}`, levers: 'memo' }, 'Builds on the answers table.');
    const fasterMemo = await upload(bo, 'faster', 'KV cache with a table', { parents: `#s${faster}`, levers: 'kv-cache,memo' }, 'Adds the answers table idea.');
    const fasterPlain = await upload(ada, 'faster', 'KV cache, documented', { parents: `#s${faster}`, levers: 'kv-cache' }, 'Only notes.');
    const scored = [base, faster, overfit, overfitChild, fasterMemo];
    const jobs = [];
    for (const id of scored) {
      const who = id === overfit || id === fasterMemo ? bo : ada;
      jobs.push(await who.call('createJob', { params: P(), body: { submissionId: id, split: 'public' } }));
    }
    const { token } = await t.admin.call('createRunner', { body: { name: 'cpu-1', labels: ['cpu'] } });
    runner = await startRunner({ url: t.url, token, labels: ['cpu'], challengesDir: DEFAULT_CHALLENGES, workDir: join(work, 'runner'), pollMs: 100, log: () => {} });
    for (const j of jobs) assert.equal((await finished(j.id)).state, 'succeeded', `job ${j.id}`);
    const onBoard = async () => new Set((await ada.call('leaderboard', { params: P() })).items.map((e) => e.submissionId));
    const before = await onBoard();
    for (const id of scored) assert.ok(before.has(id), `#s${id} is on the leaderboard before the ruling`);

    // ada flags bo's answers table; the ruling names it and "KV cache" (whose child copied the table), reaching descendants by the memo lever.
    const flag = await ada.call('createFlag', { params: P(), body: { submission: overfit, category: 'overfitting', evidence: `#s${overfit} answers the public prompts from answers.json; 25x faster on public than on private.` } });
    const ruling = await olga.call('createRuling', {
      params: P(),
      body: {
        kind: 'uphold', title: 'Answer tables are overfitting', text: 'Answers must be computed, not looked up.', flags: [flag.id],
        invalidate: { submissions: [overfit, faster], lever: 'memo' },
      },
    });
    const invalid = [overfit, faster, overfitChild, fasterMemo].sort((x, y) => x - y);
    assert.deepEqual(ruling.invalidated, invalid, 'the two named and every descendant carrying memo; the plain child of faster is not reached');
    const during = await onBoard();
    for (const id of invalid) assert.ok(!during.has(id), `#s${id} left the leaderboard`);
    assert.ok(during.has(base));
    const lineage = await t.anonymous.call('lineage', { params: P() });
    assert.equal(lineage.nodes.length, 6, 'every submission stays in the lineage');
    for (const n of lineage.nodes) {
      const isInvalid = invalid.includes(n.id);
      assert.equal(n.standing.state, isInvalid ? 'invalid' : 'valid', `#s${n.id}`);
      if (isInvalid) {
        assert.equal(n.standing.invalidatedBy?.rulingId, ruling.id);
        assert.equal(n.standing.invalidatedBy?.postId, ruling.postId);
        assert.ok(n.badges.includes('invalid'));
      }
    }
    assert.equal(lineage.nodes.find((n) => n.id === fasterPlain)!.standing.state, 'valid');
    const post = await t.anonymous.call('getPost', { params: { ...P(), id: ruling.postId } });
    assert.deepEqual(post.post.tags, ['ruling']);
    assert.deepEqual((await t.anonymous.call('listRulings', { params: P() })).items.map((r) => r.id), [ruling.id]);

    const back = await olga.call('createRuling', { params: P(), body: { kind: 'reinstate', title: 'Reinstated after review', text: 'The earlier ruling reached too far.', revokes: ruling.id } });
    assert.deepEqual(back.reinstated, invalid);
    const after = await onBoard();
    for (const id of scored) assert.ok(after.has(id), `#s${id} is back on the leaderboard`);
    const listed = (await ada.call('leaderboard', { params: P() })).items;
    assert.ok(listed.every((e) => e.unranked === 'too_few_jobs'), 'one job each: listed, not ranked before tiny-lm\'s 3 jobs');
    const nodes = (await t.anonymous.call('lineage', { params: P() })).nodes;
    assert.ok(nodes.every((n) => n.standing.state === 'valid'));
    const audit = await olga.call('auditLog', { params: P(), query: { types: 'submission.invalidated,submission.reinstated' } });
    assert.equal(audit.items.length, 2 * invalid.length, 'each invalidation and reinstatement is in the audit log');
  });
});
