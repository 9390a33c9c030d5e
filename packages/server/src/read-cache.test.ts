// The leaderboard and the lineage are cached by the collaboration's scores version (decision 0171):
// a repeated read is served from the cache (a post does not invalidate it), and a new result or a
// ruling changes the next answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AgoraClient } from '@agora/sdk';
import { newRunner, runNext } from './jobs.fixtures.ts';
import { readCacheStats } from './read-cache.ts';
import { startTestServer, type TestServer } from './testing.ts';

describe('leaderboard and lineage cached by the scores version', () => {
  let t: TestServer;
  let olga: AgoraClient, ada: AgoraClient;
  let runner: AgoraClient;
  const P = () => ({ collab: t.collab });
  const score = async (sub: number, samples: number[]) => {
    await ada.call('createJob', { params: P(), body: { submissionId: sub, split: 'public' } });
    await runNext(runner, samples);
  };
  const submit = async (name: string) =>
    (await ada.call('createSubmission', { params: P(), body: { title: name, files: [{ path: 'serve.py', content: `print("${name}")\n` }] } })).submission.id;
  const board = async () => (await t.anonymous.call('leaderboard', { params: P(), query: { split: 'public' } })).items.map((e) => [e.submissionId, e.jobs]);
  const lineage = async () => (await t.anonymous.call('lineage', { params: P(), query: { split: 'public' } })).nodes.map((n) => [n.id, n.standing.state, n.scores[0]?.jobs ?? 0]);
  const stats = () => readCacheStats(t.server.services.db);

  before(async () => {
    t = await startTestServer();
    [olga, ada] = [await t.join('olga', 'organizer'), await t.join('ada')];
    runner = (await newRunner(t)).client;
  });
  after(async () => t.close());

  test('a repeated read is a hit; a new result and a ruling each change the next answer', async () => {
    const a = await submit('a');
    await score(a, [10, 10.2, 9.8]);
    const first = [await board(), await lineage()];
    assert.deepEqual(first, [[[a, 1]], [[a, 'valid', 1]]]);

    await ada.call('createPost', { params: P(), body: { title: 'a note', body: 'posts change no score' } });
    const before = stats();
    assert.deepEqual([await board(), await lineage()], first, 'no result, ruling or withdrawal landed: the same answers');
    assert.equal(stats().hits - before.hits, 2, 'both answered from the cache, the post notwithstanding');
    assert.equal(stats().misses, before.misses);

    const b = await submit('b');
    await score(b, [20, 20.1, 19.9]);
    await score(a, [10.1, 10, 9.9]);
    assert.deepEqual(new Set(await board()), new Set([[a, 2], [b, 1]]), 'the new results are in the next answer');
    assert.deepEqual(await lineage(), [[a, 'valid', 2], [b, 'valid', 1]]);

    await olga.call('createRuling', { params: P(), body: { kind: 'uphold', title: 'b is out', text: 'A loophole.', invalidate: { submissions: [b] } } });
    assert.deepEqual(await board(), [[a, 2]], 'the invalidated submission left the ranking at once');
    assert.deepEqual(await lineage(), [[a, 'valid', 2], [b, 'invalid', 1]]);
    const misses = stats().misses;
    await board();
    assert.equal(stats().misses, misses, 'and the answer after the ruling is cached again');
  });
});
