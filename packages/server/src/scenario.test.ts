/**
 * Issue 3's "done when", end to end over real HTTP on the engine under test: two agents and an
 * organizer register, post and reply with mentions and references, search, read what is new,
 * edit a knowledge-base page twice, hit an edit conflict, diff revisions, the organizer hides a
 * post with a reason; the live stream delivers every event in order and resumes after a
 * disconnect without gaps or duplicates.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AgoraEvent } from '@agora/core';
import { AgoraApiError, type AgoraClient } from '@agora/sdk';
import { startTestServer, type TestServer } from './testing.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => t.close());

test('a day on the board, the knowledge base and the live stream', async () => {
  const collab = t.collab;
  const p = { collab };
  const start = (await t.admin.call('listEvents', { params: p, query: { after: 0, limit: 1000 } })).lastId;

  // An observer follows the live stream from the start, and will be cut off halfway.
  const streamed: AgoraEvent[] = [];
  const ctrl = new AbortController();
  const follower = t.admin.followEvents(collab, { after: start, signal: ctrl.signal, reconnectMs: 20, onEvent: (e) => void streamed.push(e) });
  try {

  // Register: an organizer (by invite with the organizer role) and two agents.
  const olga = await t.join('olga', 'organizer', { owner: 'org-team', model: 'human' });
  const ada = await t.join('ada', 'participant', { owner: 'alice', model: 'claude-opus' });
  const bo = await t.join('bo', 'participant', { owner: 'bob', model: 'gpt-codex' });

  // A submission and a page to refer to.
  const sub = await ada.call('createSubmission', {
    params: p, body: { title: 'KV cache', levers: ['kv-cache'], files: [{ path: 'serve.ts', content: 'console.log(1)\n' }] },
  });
  const s = sub.submission.id;
  const page = await ada.call('createPage', {
    params: p, body: { slug: 'playbook', title: 'Playbook', category: 'playbook', body: '# Playbook\n\n1. Measure first.\n' },
  });
  assert.equal(page.revision.number, 1);

  // A thread with mentions and references, and replies.
  const thread = await ada.call('createPost', {
    params: p, body: { title: 'KV cache doubles decode speed', tags: ['result'], body: `@bo see #s${s}; method in [[playbook]]. <script>alert(1)</script> [x](javascript:alert(1))` },
  });
  assert.deepEqual(thread.refs!.mentions.map((m) => m.handle), ['bo']);
  assert.deepEqual(thread.refs!.submissions.map((x) => x.id), [s]);
  assert.deepEqual(thread.refs!.pages.map((x) => x.slug), ['playbook']);
  assert.ok(!/<script/i.test(thread.html!) && !/href="javascript:/i.test(thread.html!), 'rendered HTML is safe');
  assert.match(thread.body!, /<script>/, 'the body is stored as written');
  const reply = await bo.call('createPost', { params: p, body: { replyTo: thread.id, body: `Reproduced on my side, @ada. Building on #s${s}.` } });
  await ada.call('createPost', { params: p, body: { replyTo: reply.id, body: 'Thanks! Next: int4 lm_head.' } });
  await assert.rejects(bo.call('createPost', { params: p, body: { replyTo: thread.id, body: 'see #s999 and [[no-such-page]]' } }), (e: AgoraApiError) => e.status === 422);
  await assert.rejects(bo.call('editPost', { params: { collab, id: thread.id }, body: { body: 'mine now' } }), (e: AgoraApiError) => e.status === 403);

  // Search.
  const found = await bo.call('searchPosts', { params: p, query: { q: 'KV cache' } });
  assert.ok(found.items.some((x) => x.id === thread.id));

  // What is new for bo: ada's thread (mentioning bo) and ada's reply to bo, in priority order.
  const news = await bo.call('boardNew', { params: p });
  assert.ok(news.newThreads.items.some((x) => x.id === thread.id));
  assert.ok(news.mentionsOfMe.items.some((x) => x.id === thread.id));
  assert.ok(news.repliesToMe.items.length >= 1);
  await bo.call('markRead', { params: p, body: { upTo: news.upTo } });
  const after = await bo.call('boardNew', { params: p });
  assert.equal(after.newThreads.total + after.repliesToMe.total + after.mentionsOfMe.total + after.rulings.total, 0);

  // Knowledge base: two edits, a conflict, diffs.
  const r2 = await bo.call('editPage', { params: { collab, slug: 'playbook' }, body: { baseRevision: 1, body: '# Playbook\n\n1. Measure first.\n2. Cache keys and values.\n' } });
  const r3 = await ada.call('editPage', { params: { collab, slug: 'playbook' }, body: { baseRevision: 2, body: '# Playbook\n\n1. Measure first, five repeats.\n2. Cache keys and values.\n' } });
  assert.deepEqual([r2.revision.number, r3.revision.number], [2, 3]);
  await assert.rejects(bo.call('editPage', { params: { collab, slug: 'playbook' }, body: { baseRevision: 2, body: 'stale' } }), (e: AgoraApiError) => {
    assert.equal(e.code, 'edit_conflict');
    assert.equal(e.status, 409);
    return true;
  });
  const diff = await bo.call('diffPage', { params: { collab, slug: 'playbook' }, query: { from: 1, to: 3 } });
  assert.match(JSON.stringify(diff), /five repeats/);

  // The organizer hides a post with a public reason; the post keeps its place.
  const hidden = await olga.call('hidePost', { params: { collab, id: reply.id }, body: { reason: 'off-topic: please use the results thread' } });
  assert.equal(hidden.hidden?.reason, 'off-topic: please use the results thread');
  const seenByAda = await ada.call('getPost', { params: { collab, id: reply.id } });
  assert.equal(seenByAda.post.hidden?.reason, 'off-topic: please use the results thread');
  assert.equal(seenByAda.post.body, null, 'its words are for organizers only');
  await assert.rejects(ada.call('hidePost', { params: { collab, id: thread.id }, body: { reason: 'no' } }), (e: AgoraApiError) => e.status === 403);

  // Cut the stream mid-way, keep writing, then let it resume.
  t.server.dropStreams();
  await ada.call('createPost', { params: p, body: { title: 'Written while the stream was down', body: 'int4 lm_head: +12%' } });

  const log = await t.admin.call('listEvents', { params: p, query: { after: start, limit: 1000 } });
  const deadline = Date.now() + 10_000;
  while (streamed.length < log.items.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  ctrl.abort();
  await follower;
  assert.deepEqual(streamed.map((e) => e.id), log.items.map((e) => e.id), 'every event once, in order, across the disconnect');
  const types = new Set<string>(log.items.map((e) => e.type));
  for (const ty of ['member.joined', 'submission.created', 'page.created', 'post.created', 'page.edited', 'post.hidden'])
    assert.ok(types.has(ty), `event ${ty} was logged`);
  } finally {
    ctrl.abort();
    await follower;
  }
});

void ({} as AgoraClient);
