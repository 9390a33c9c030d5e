import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eventsOf } from '@agora/core';
import { AgoraApiError, type AgoraClient } from '@agora/sdk';
import { startTestServer, type TestServer } from './testing.ts';

const rejects = async (p: Promise<unknown>, status: number, code: string, message?: RegExp) => {
  let details: unknown;
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AgoraApiError, `expected an API error, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, status);
    if (message) assert.match(e.message, message);
    details = e.details;
    return true;
  });
  return details as Record<string, unknown>;
};

describe('message board', () => {
  let t: TestServer;
  let collab: string;
  let collabId: number;
  const P = <E extends object = object>(extra?: E) => ({ collab, ...(extra as E) });

  /** Counts that must not move when a write is refused. */
  const counts = async () => {
    const [row] = await t.testDb.db.query<{ posts: number; revisions: number; edges: number; events: number }>(
      `select (select count(*) from posts) as posts, (select count(*) from post_revisions) as revisions,
              (select count(*) from post_edges) as edges, (select count(*) from events where type like 'post.%') as events`,
    );
    return row!;
  };

  /** A submission row in the collaboration, written directly: the board only needs it to exist. */
  const insertSubmission = async (collaborationId = collabId): Promise<number> => {
    const sha = 'a'.repeat(64);
    await t.testDb.db.query(`insert into artifacts (sha256, size_bytes, media_type) values ($1, 1, 'application/gzip') on conflict do nothing`, [sha]);
    const [s] = await t.testDb.db.query<{ id: number }>(
      `insert into submissions (collaboration_id, author_id, title, bundle_sha256, file_count, total_bytes, fingerprint)
       values ($1, (select id from participants order by id limit 1), 'x', $2, 0, 0, $2) returning id`,
      [collaborationId, sha],
    );
    return s!.id;
  };

  before(async () => {
    t = await startTestServer();
    collab = t.collab;
    collabId = (await t.admin.call('getCollaboration', { params: { collab } })).id;
  });
  after(async () => t.close());

  test('threads and replies: create, read with its thread, list with filters and cursor pagination', async () => {
    const ada = await t.join('ada');
    const bob = await t.join('bob');
    const thread = await ada.call('createPost', {
      params: P(), body: { title: 'int4 lm_head: 118 TPS', body: 'Measured **118 TPS** on the public set.', tags: ['result', 'int4', 'result'] },
    });
    assert.equal(thread.threadId, thread.id);
    assert.equal(thread.replyTo, null);
    assert.equal(thread.author, 'ada');
    assert.deepEqual(thread.tags, ['result', 'int4']);
    assert.equal(thread.revision, 1);
    assert.match(thread.html!, /<strong>118 TPS<\/strong>/);
    assert.match(thread.createdAt, /^\d{4}-\d\d-\d\dT/);
    const reply = await bob.call('createPost', { params: P(), body: { body: 'Nice, @ada. Which kernel?', replyTo: thread.id, tags: ['question'] } });
    assert.equal(reply.threadId, thread.id);
    assert.equal(reply.title, null);
    const nested = await ada.call('createPost', { params: P(), body: { body: 'Marlin.', replyTo: reply.id } });
    assert.equal(nested.threadId, thread.id, 'a reply to a reply stays in the thread');
    assert.equal(nested.replyTo, reply.id);

    const got = await t.anonymous.call('getPost', { params: P({ id: nested.id }) });
    assert.equal(got.post.id, nested.id);
    assert.equal(got.thread.id, thread.id);
    assert.deepEqual(got.replies.items.map((p) => p.id), [reply.id, nested.id]);
    const firstPage = await t.anonymous.call('getPost', { params: P({ id: thread.id }), query: { limit: 1 } });
    assert.deepEqual(firstPage.replies.items.map((p) => p.id), [reply.id]);
    const secondPage = await t.anonymous.call('getPost', { params: P({ id: thread.id }), query: { limit: 1, cursor: firstPage.replies.nextCursor! } });
    assert.deepEqual(secondPage.replies.items.map((p) => p.id), [nested.id]);
    assert.equal(secondPage.replies.nextCursor, null);

    const t2 = await bob.call('createPost', { params: P(), body: { title: 'Spec decode proposal', body: 'Try MTP.', tags: ['proposal'] } });
    const t3 = await ada.call('createPost', { params: P(), body: { title: 'Dead end: lm_head pruning', body: 'Overfits public prompts.', tags: ['dead-end'] } });
    const byTag = await t.anonymous.call('listThreads', { params: P(), query: { tag: 'result' } });
    assert.deepEqual(byTag.items.map((x) => x.id), [thread.id]);
    assert.equal(byTag.items[0]!.replyCount, 2);
    const byAuthor = await t.anonymous.call('listThreads', { params: P(), query: { author: 'ada' } });
    assert.deepEqual(byAuthor.items.map((x) => x.id), [t3.id, thread.id]);
    const page1 = await t.anonymous.call('listThreads', { params: P(), query: { limit: 2 } });
    assert.deepEqual(page1.items.map((x) => x.id), [t3.id, t2.id]);
    const page2 = await t.anonymous.call('listThreads', { params: P(), query: { limit: 2, cursor: page1.nextCursor! } });
    assert.ok(page2.items.some((x) => x.id === thread.id));
    assert.ok(!page2.items.some((x) => x.id === t2.id || x.id === t3.id), 'pages do not overlap');
    await rejects(t.anonymous.call('listThreads', { params: P(), query: { cursor: 'not-a-cursor' } }), 400, 'validation_failed', /cursor/);

    const events = await t.anonymous.call('listEvents', { params: P(), query: { types: 'post.created' } });
    const ev = events.items.find((e) => e.subject === `#p${reply.id}`)!;
    assert.equal(ev.actor, 'bob');
    assert.deepEqual(ev.payload, { postId: reply.id, threadId: thread.id, replyTo: thread.id, tags: ['question'], mentions: ['ada'] });
  });

  test('references: submissions, pages, posts and mentions become links and edges; unknown ones are refused whole', async () => {
    const cy = await t.join('cy');
    await t.join('dot');
    const sid = await insertSubmission();
    await cy.call('createPage', { params: P(), body: { slug: 'lever-map', title: 'Lever map', category: 'lever-map', body: 'Levers.' } });
    const target = await cy.call('createPost', { params: P(), body: { title: 'Target', body: 'x' } });
    const post = await cy.call('createPost', {
      params: P(),
      body: { title: 'Relay', body: `Built on #s${sid}, see [[lever-map]] and #p${target.id}; cc @dot and @Dot. \`@nobody #s999\` is code.` },
    });
    assert.deepEqual(post.refs, {
      mentions: [{ handle: 'dot' }],
      submissions: [{ id: sid, url: `/v1/collaborations/${collab}/submissions/${sid}` }],
      pages: [{ slug: 'lever-map', url: `/v1/collaborations/${collab}/pages/lever-map` }],
      posts: [{ id: target.id, url: `/v1/collaborations/${collab}/posts/${target.id}` }],
    });
    assert.match(post.html!, new RegExp(`<a class="submission-ref" href="/v1/collaborations/${collab}/submissions/${sid}">#s${sid}</a>`));
    assert.match(post.html!, /<a class="page-ref" href="[^"]+\/pages\/lever-map">lever-map<\/a>/);
    const edges = await t.testDb.db.query<{ kind: string; target: string }>('select kind, target from post_edges where post_id = $1 order by kind, target', [post.id]);
    assert.deepEqual(edges.map((e) => `${e.kind}:${e.target}`), ['mention:dot', 'page:lever-map', `post:${target.id}`, `submission:${sid}`]);

    // A submission of another collaboration is unknown here, as are ids that do not exist at all.
    const { testDb } = t;
    const [other] = await testDb.db.query<{ id: number }>(
      `insert into collaborations (slug, title, challenge, created_by) values ('other', 'Other', '{}', (select id from participants order by id limit 1)) returning id`);
    const foreign = await insertSubmission(other!.id);
    const before = await counts();
    const details = await rejects(
      cy.call('createPost', { params: P(), body: { title: 'Bad refs', body: `#s999 #s${foreign} [[no-such-page]] #p99999 @nobody @dot` } }),
      422, 'unprocessable', /unknown references: @nobody, #s999, #s\d+, #p99999, \[\[no-such-page\]\]/,
    );
    assert.deepEqual(details.unknown, { mentions: ['nobody'], submissions: [999, foreign], pages: ['no-such-page'], posts: [99999] });
    assert.deepEqual(await counts(), before, 'nothing half-written');

    // Post ids are global too: another collaboration's post is not found from here, in any route.
    const [foreignPost] = await testDb.db.query<{ id: number }>(
      `insert into posts (collaboration_id, author_id, title, body) values ($1, (select id from participants where handle = 'cy'), 'secret', 'elsewhere') returning id`,
      [other!.id],
    );
    const fid = foreignPost!.id;
    await rejects(cy.call('getPost', { params: P({ id: fid }) }), 404, 'not_found');
    await rejects(cy.call('listRevisions', { params: P({ id: fid }) }), 404, 'not_found');
    await rejects(cy.call('editPost', { params: P({ id: fid }), body: { body: 'x' } }), 404, 'not_found');
    await rejects(t.admin.call('hidePost', { params: P({ id: fid }), body: { reason: 'x' } }), 404, 'not_found');
    await rejects(cy.call('createPost', { params: P(), body: { body: 'x', replyTo: fid } }), 404, 'not_found');
    await rejects(cy.call('createPost', { params: P(), body: { title: 'x', body: `see #p${fid}` } }), 422, 'unprocessable');
    await rejects(cy.call('markRead', { params: P(), body: { upTo: fid } }), 404, 'not_found');
  });

  test('bad input gets a clear error and writes nothing; hostile markdown is stored as written and rendered safe', async () => {
    const eli = await t.join('eli');
    const before = await counts();
    const raw = (body: string, type = 'application/json') =>
      eli.raw(`/v1/collaborations/${collab}/posts`, { method: 'POST', headers: { 'content-type': type }, body });
    const code = async (res: Response) => [res.status, ((await res.json()) as { error: { code: string } }).error.code];
    assert.deepEqual(await code(await raw('{"title": "x", "body": ')), [400, 'bad_request']);
    assert.deepEqual(await code(await raw('title=x', 'text/plain')), [415, 'unsupported_media_type']);
    assert.deepEqual(await code(await raw(JSON.stringify({ title: 'x', body: 42 }))), [400, 'validation_failed']);
    assert.deepEqual(await code(await raw(JSON.stringify({ title: 'x', body: 'y', tags: 'result' }))), [400, 'validation_failed']);
    assert.deepEqual(await code(await raw(JSON.stringify({ title: 'x', body: 'y', replyTo: -1 }))), [400, 'validation_failed']);
    assert.deepEqual(await code(await raw('{"title": "x", "body": "lone \\ud800 surrogate"}')), [400, 'validation_failed']);
    await rejects(eli.call('createPost', { params: P(), body: { title: 'x', body: 'nul \u0000 byte' } }), 400, 'validation_failed', /control characters/);
    await rejects(eli.call('createPost', { params: P(), body: { title: 'x', body: '   \n ' } }), 400, 'validation_failed', /empty/);
    await rejects(eli.call('createPost', { params: P(), body: { title: 'x', body: 'é'.repeat(32 * 1024 + 1) } }), 400, 'validation_failed', /65536 bytes/);
    await rejects(eli.call('createPost', { params: P(), body: { title: 'x', body: 'y', tags: ['Not A Tag'] } }), 400, 'validation_failed');
    await rejects(eli.call('createPost', { params: P(), body: { title: 'a\u202Egnp.exe', body: 'y' } }), 400, 'validation_failed', /bidirectional/);
    await rejects(eli.call('createPost', { params: P(), body: { title: 'x', body: 'y', tags: Array.from({ length: 11 }, (_, i) => `t${i}`) } }), 400, 'validation_failed');
    await rejects(eli.call('createPost', { params: P(), body: { body: 'no title' } }), 400, 'validation_failed', /needs a title/);
    await rejects(eli.call('createPost', { params: P(), body: { title: '<b>', body: 'y', replyTo: 1 } }), 400, 'validation_failed', /reply has no title/);
    await rejects(eli.call('createPost', { params: P(), body: { body: 'y', replyTo: 2_000_000 } }), 404, 'not_found', /#p2000000/);
    await rejects(eli.call('createPost', { params: P(), body: { title: 'x', body: 'y', tags: ['ruling'] } }), 403, 'forbidden', /organizers/);
    await rejects(eli.call('createPost', { params: { collab: 'no-such-collab' }, body: { title: 'x', body: 'y' } }), 404, 'not_found');
    await rejects(t.anonymous.call('createPost', { params: P(), body: { title: 'x', body: 'y' } }), 401, 'unauthorized');
    const obs = await t.join('obs', 'observer');
    await rejects(obs.call('createPost', { params: P(), body: { title: 'x', body: 'y' } }), 403, 'forbidden', /participant role/);
    const rotated = await eli.call('rotateKey', { body: {} });
    await eli.call('revokeKey', { params: { keyId: rotated.keyId } });
    await rejects(eli.withKey(rotated.apiKey).call('createPost', { params: P(), body: { title: 'x', body: 'y' } }), 401, 'unauthorized', /revoked/);
    assert.deepEqual(await counts(), before, 'nothing half-written');

    // Just under the limit in bytes, multi-byte characters: accepted.
    const big = await eli.call('createPost', { params: P(), body: { title: 'big', body: 'é'.repeat(32 * 1024) } });
    assert.equal(big.body!.length, 32 * 1024);

    const hostile = [
      '<script>alert(document.cookie)</script>',
      '[click me](javascript:alert(1)) [data](data:text/html,x) <img src=x onerror=alert(1)>',
      "'; drop table posts; -- and \"quotes\"",
      'unicode: 日本語 👩‍💻 e\u0301 \u202Eevil\u202C \u200Bzero-width',
    ].join('\n\n');
    const title = '<script>x</script> “quoted” 🚀';
    const p = await eli.call('createPost', { params: P(), body: { title, body: hostile } });
    assert.equal(p.body, hostile, 'the raw body is stored exactly as written');
    assert.equal(p.title, title);
    const again = await t.anonymous.call('getPost', { params: P({ id: p.id }) });
    assert.equal(again.post.body, hostile);
    const html = again.post.html!;
    assert.doesNotMatch(html, /<script|<img|href="\s*(javascript|data):/i);
    assert.match(html, /&lt;script&gt;alert\(document.cookie\)&lt;\/script&gt;/);
    assert.match(html, /click me/);
    assert.match(html, /日本語 👩‍💻 e\u0301/);
    assert.ok((await t.testDb.db.query<{ n: number }>('select count(*) as n from posts'))[0]!.n > 0, 'the table survived');
  });

  test('edits keep revisions; only the author or an organizer edits; stale revisions conflict', async () => {
    const fay = await t.join('fay');
    const gus = await t.join('gus');
    const p = await fay.call('createPost', { params: P(), body: { title: 'Draft', body: 'v1 cc @gus', tags: ['proposal'] } });
    const before = await counts();
    await rejects(gus.call('editPost', { params: P({ id: p.id }), body: { body: 'hijacked' } }), 403, 'forbidden', /only its author or an organizer/);
    await rejects(fay.call('editPost', { params: P({ id: p.id }), body: {} }), 400, 'validation_failed', /nothing to change/);
    await rejects(fay.call('editPost', { params: P({ id: p.id }), body: { tags: ['ruling'] } }), 403, 'forbidden');
    await rejects(fay.call('editPost', { params: P({ id: p.id }), body: { body: 'see #s424242' } }), 422, 'unprocessable');
    await rejects(fay.call('editPost', { params: P({ id: 999_999 }), body: { body: 'x' } }), 404, 'not_found');
    assert.deepEqual(await counts(), before, 'refused edits write nothing');

    const v2 = await fay.call('editPost', { params: P({ id: p.id }), body: { body: 'v2, no mention', expectedRevision: 1 } });
    assert.equal(v2.revision, 2);
    assert.equal(v2.body, 'v2, no mention');
    assert.equal(v2.title, 'Draft');
    assert.ok(v2.editedAt);
    assert.deepEqual(v2.refs!.mentions, []);
    const mentionEdges = await t.testDb.db.query('select 1 from post_edges where post_id = $1 and kind = $2', [p.id, 'mention']);
    assert.equal(mentionEdges.length, 0, 'edges follow the current revision');
    await rejects(fay.call('editPost', { params: P({ id: p.id }), body: { body: 'v3', expectedRevision: 1 } }), 409, 'edit_conflict', /revision 2/);
    const racers = await Promise.allSettled(['a', 'b', 'c'].map((x) => fay.call('editPost', { params: P({ id: p.id }), body: { body: `race ${x}`, expectedRevision: 2 } })));
    assert.equal(racers.filter((x) => x.status === 'fulfilled').length, 1, 'of edits against the same revision exactly one wins');
    for (const x of racers) if (x.status === 'rejected') assert.equal((x.reason as AgoraApiError).code, 'edit_conflict');
    const raced = await fay.call('editPost', { params: P({ id: p.id }), body: { body: 'v2, no mention' } });
    assert.equal(raced.revision, 4);
    const same = await fay.call('editPost', { params: P({ id: p.id }), body: { body: 'v2, no mention' } });
    assert.equal(same.revision, 4, 'an edit that changes nothing makes no revision');
    const moderated = await t.admin.call('editPost', { params: P({ id: p.id }), body: { title: 'Draft (moderated)', tags: ['proposal', 'ruling'] } });
    assert.equal(moderated.revision, 5);
    assert.deepEqual(moderated.tags, ['proposal', 'ruling']);

    const revs = await t.anonymous.call('listRevisions', { params: P({ id: p.id }) });
    assert.deepEqual(revs.items.map((r) => [r.revision, r.title, r.body?.replace(/^race [abc]$/, 'race'), r.editor]), [
      [5, 'Draft (moderated)', 'v2, no mention', 'organizer'], [4, 'Draft', 'v2, no mention', 'fay'], [3, 'Draft', 'race', 'fay'],
      [2, 'Draft', 'v2, no mention', 'fay'], [1, 'Draft', 'v1 cc @gus', 'fay'],
    ]);
    const r1 = await t.anonymous.call('listRevisions', { params: P({ id: p.id }), query: { limit: 3 } });
    const r2 = await t.anonymous.call('listRevisions', { params: P({ id: p.id }), query: { limit: 3, cursor: r1.nextCursor! } });
    assert.deepEqual([...r1.items, ...r2.items].map((r) => r.revision), [5, 4, 3, 2, 1]);
    assert.equal(r2.nextCursor, null);
    const edited = await t.anonymous.call('listEvents', { params: P(), query: { types: 'post.edited' } });
    assert.deepEqual(eventsOf(edited.items, 'post.edited').filter((e) => e.subject === `#p${p.id}`).map((e) => e.payload.revision), [2, 3, 4, 5]);
    await assert.rejects(t.testDb.db.query('delete from post_revisions where post_id = $1', [p.id]), /never deleted/);
  });

  test('a post takes at most 100 revisions; the edit past them is refused and writes nothing', async () => {
    const kit = await t.join('kit');
    const p = await kit.call('createPost', { params: P(), body: { title: 'Often edited', body: 'v1' } });
    // 98 edits through the API would be slow on a loaded machine: start the post at revision 98.
    await t.testDb.db.query('update posts set revision = 98 where id = $1', [p.id]);
    assert.equal((await kit.call('editPost', { params: P({ id: p.id }), body: { body: 'v99' } })).revision, 99);
    assert.equal((await kit.call('editPost', { params: P({ id: p.id }), body: { body: 'v100' } })).revision, 100);
    const before = await counts();
    const details = await rejects(kit.call('editPost', { params: P({ id: p.id }), body: { body: 'v101' } }), 409, 'conflict', /reached 100 revisions/);
    assert.deepEqual(details, { max: 100 });
    await rejects(t.admin.call('editPost', { params: P({ id: p.id }), body: { body: 'v101' } }), 409, 'conflict', /reached 100 revisions/);
    assert.deepEqual(await counts(), before, 'the refused edit writes nothing');
    assert.equal((await kit.call('getPost', { params: P({ id: p.id }) })).post.body, 'v100');
  });

  test('hide: organizers only, public reason, text kept from everyone else', async () => {
    const hal = await t.join('hal');
    const ivy = await t.join('ivy');
    const p = await hal.call('createPost', { params: P(), body: { title: 'Flamebait zygomorphic', body: 'zygomorphic insult', tags: ['question'] } });
    await rejects(ivy.call('hidePost', { params: P({ id: p.id }), body: { reason: 'mine now' } }), 403, 'forbidden');
    await rejects(hal.call('hidePost', { params: P({ id: p.id }), body: { reason: 'self' } }), 403, 'forbidden');
    await rejects(t.admin.call('hidePost', { params: P({ id: p.id }), body: { reason: '  ' } }), 400, 'validation_failed');
    const hidden = await t.admin.call('hidePost', { params: P({ id: p.id }), body: { reason: 'personal attack' } });
    assert.equal(hidden.hidden!.reason, 'personal attack');
    assert.equal(hidden.body, 'zygomorphic insult', 'organizers still read it');
    await rejects(t.admin.call('hidePost', { params: P({ id: p.id }), body: { reason: 'again' } }), 409, 'conflict', /already hidden/);

    for (const reader of [ivy, t.anonymous, hal]) {
      const seen = (await reader.call('getPost', { params: P({ id: p.id }) })).post;
      assert.equal(seen.hidden!.reason, 'personal attack');
      assert.ok(seen.hidden!.by.length > 0);
      assert.equal(seen.author, 'hal');
      assert.equal(seen.body, null);
      assert.equal(seen.html, null);
      assert.equal(seen.title, null);
      assert.equal(seen.refs, null);
      const revs = await reader.call('listRevisions', { params: P({ id: p.id }) });
      assert.equal(revs.items[0]!.body, null);
      const listed = await reader.call('listThreads', { params: P(), query: { author: 'hal' } });
      assert.equal(listed.items[0]!.excerpt, null);
      assert.equal(listed.items[0]!.hidden!.reason, 'personal attack');
      assert.equal((await reader.call('searchPosts', { params: P(), query: { q: 'zygomorphic' } })).items.length, 0);
    }
    assert.equal((await t.admin.call('searchPosts', { params: P(), query: { q: 'zygomorphic' } })).items[0]!.id, p.id);
    await rejects(hal.call('editPost', { params: P({ id: p.id }), body: { body: 'sorry' } }), 409, 'conflict', /hidden/);
    await rejects(ivy.call('createPost', { params: P(), body: { body: 'reply', replyTo: p.id } }), 409, 'conflict', /hidden/);
    const ev = eventsOf((await t.anonymous.call('listEvents', { params: P(), query: { types: 'post.hidden' } })).items, 'post.hidden').at(-1)!;
    assert.equal(ev.subject, `#p${p.id}`);
    assert.equal(ev.payload.reason, 'personal attack');
    await assert.rejects(t.testDb.db.query('delete from posts where id = $1', [p.id]), /never deleted/);
  });

  test('search: web syntax, ranked, filtered, paginated, SQL-ish text is just text', async () => {
    const jan = await t.join('jan');
    const kim = await t.join('kim');
    const inTitle = await jan.call('createPost', { params: P(), body: { title: 'Quokka quantization notes', body: 'int4 weights' } });
    const inBody = await kim.call('createPost', { params: P(), body: { title: 'Misc', body: 'a quokka appears once', tags: ['question'] } });
    const both = await jan.call('createPost', { params: P(), body: { title: 'Other', body: 'quokka and wombat together' } });
    const hits = await t.anonymous.call('searchPosts', { params: P(), query: { q: 'quokka' } });
    assert.equal(hits.items.length, 3);
    assert.equal(hits.items[0]!.id, inTitle.id, 'a title match ranks first');
    assert.ok(hits.items[0]!.rank >= hits.items[1]!.rank);
    assert.deepEqual((await t.anonymous.call('searchPosts', { params: P(), query: { q: 'quokka -wombat' } })).items.map((h) => h.id).sort(), [inTitle.id, inBody.id].sort());
    assert.deepEqual((await t.anonymous.call('searchPosts', { params: P(), query: { q: '"quokka and wombat"' } })).items.map((h) => h.id), [both.id]);
    assert.deepEqual((await t.anonymous.call('searchPosts', { params: P(), query: { q: 'quokka', tag: 'question' } })).items.map((h) => h.id), [inBody.id]);
    const s1 = await t.anonymous.call('searchPosts', { params: P(), query: { q: 'quokka', limit: 2 } });
    const s2 = await t.anonymous.call('searchPosts', { params: P(), query: { q: 'quokka', limit: 2, cursor: s1.nextCursor! } });
    assert.deepEqual([...s1.items, ...s2.items].map((h) => h.id), hits.items.map((h) => h.id));
    assert.equal(s2.nextCursor, null);
    for (const q of ["'; drop table posts; --", 'OR 1=1 ) ( " -', '日本語', 'the']) {
      const r = await t.anonymous.call('searchPosts', { params: P(), query: { q } });
      assert.ok(Array.isArray(r.items));
    }
    await rejects(t.anonymous.call('searchPosts', { params: P(), query: { q: '   ' } }), 400, 'validation_failed');
  });

  test('what is new for me: new threads, replies to me, mentions of me, rulings; the cursor only moves forward', async () => {
    const lea = await t.join('lea');
    const max = await t.join('max');
    const mine = await lea.call('createPost', { params: P(), body: { title: 'Lea asks', body: 'anyone?' } });
    const cur = await lea.call('markRead', { params: P(), body: {} });
    assert.equal(cur.lastReadPostId, mine.id);
    assert.deepEqual(await lea.call('getReadCursor', { params: P() }), cur);
    const empty = await lea.call('boardNew', { params: P() });
    assert.equal(empty.newThreads.total + empty.repliesToMe.total + empty.mentionsOfMe.total + empty.rulings.total, 0);

    const thread = await max.call('createPost', { params: P(), body: { title: 'Max thread', body: 'hello' } });
    const reply = await max.call('createPost', { params: P(), body: { body: 'answer', replyTo: mine.id } });
    const mention = await max.call('createPost', { params: P(), body: { body: 'cc @lea', replyTo: thread.id } });
    const ruling = await t.admin.call('createPost', { params: P(), body: { title: 'Ruling: relaxed verification is invalid', body: 'Invalid.', tags: ['ruling'] } });
    const own = await lea.call('createPost', { params: P(), body: { body: 'thanks', replyTo: reply.id } });
    const hiddenOne = await max.call('createPost', { params: P(), body: { title: 'to hide', body: '@lea spam' } });
    await t.admin.call('hidePost', { params: P({ id: hiddenOne.id }), body: { reason: 'spam' } });

    const news = await lea.call('boardNew', { params: P() });
    assert.deepEqual(Object.keys(news), ['since', 'upTo', 'newThreads', 'repliesToMe', 'mentionsOfMe', 'rulings'], 'groups in reading order');
    assert.equal(news.since, mine.id);
    assert.equal(news.upTo, hiddenOne.id);
    assert.deepEqual(news.newThreads.items.map((p) => p.id), [thread.id, ruling.id]);
    assert.deepEqual(news.repliesToMe.items.map((p) => p.id), [reply.id]);
    assert.deepEqual(news.mentionsOfMe.items.map((p) => p.id), [mention.id]);
    assert.deepEqual(news.rulings.items.map((p) => p.id), [ruling.id]);
    assert.ok(![...news.newThreads.items, ...news.repliesToMe.items].some((p) => p.id === own.id), 'my own posts are not news to me');
    const capped = await lea.call('boardNew', { params: P(), query: { limit: 1 } });
    assert.equal(capped.newThreads.items.length, 1);
    assert.equal(capped.newThreads.total, 2);

    // The other participant sees lea's reply as a reply to him.
    const maxNews = await max.call('boardNew', { params: P() });
    assert.ok(maxNews.repliesToMe.items.some((p) => p.id === own.id));

    const moved = await lea.call('markRead', { params: P(), body: { upTo: reply.id } });
    assert.equal(moved.lastReadPostId, reply.id);
    const partly = await lea.call('boardNew', { params: P() });
    assert.deepEqual(partly.newThreads.items.map((p) => p.id), [ruling.id]);
    assert.equal(partly.repliesToMe.total, 0);
    const back = await lea.call('markRead', { params: P(), body: { upTo: mine.id } });
    assert.equal(back.lastReadPostId, reply.id, 'never backwards');
    await rejects(lea.call('markRead', { params: P(), body: { upTo: 9_999_999 } }), 404, 'not_found');
    await rejects(lea.call('markRead', { params: P(), body: { upTo: -3 } }), 400, 'validation_failed');
    await lea.call('markRead', { params: P(), body: { upTo: news.upTo } });
    const done = await lea.call('boardNew', { params: P() });
    assert.equal(done.newThreads.total + done.repliesToMe.total + done.mentionsOfMe.total + done.rulings.total, 0);
    await rejects(t.anonymous.call('boardNew', { params: P() }), 401, 'unauthorized');
  });

  test('rate limits: 5 posts a minute, 30 an hour, refused with when the next post is allowed', async () => {
    const ned: AgoraClient = await t.join('ned');
    const thread = await ned.call('createPost', { params: P(), body: { title: 'Rapid', body: '1' } });
    for (let i = 2; i <= 5; i++) await ned.call('createPost', { params: P(), body: { body: String(i), replyTo: thread.id } });
    const before = await counts();
    const details = await rejects(ned.call('createPost', { params: P(), body: { body: '6', replyTo: thread.id } }), 429, 'rate_limited', /at most 5 posts a minute; your next post is allowed at/);
    assert.ok(Number(details.retryAfterSeconds) >= 1 && Number(details.retryAfterSeconds) <= 60);
    assert.ok(!Number.isNaN(Date.parse(String(details.nextAllowedAt))));
    assert.deepEqual(details.limit, { max: 5, seconds: 60 });
    assert.deepEqual(await counts(), before, 'a refused post writes nothing');

    // Age those five by two minutes: the minute window is free, and 25 more in the hour fill it.
    const [nedRow] = await t.testDb.db.query<{ id: number }>(`select id from participants where handle = 'ned'`);
    await t.testDb.db.query(`update posts set created_at = created_at - interval '2 minutes' where author_id = $1`, [nedRow!.id]);
    await t.testDb.db.query(
      `insert into posts (collaboration_id, author_id, thread_id, reply_to, body, created_at)
       select $1, $2, $3, $3, 'old', now() - interval '10 minutes' from generate_series(1, 24)`,
      [collabId, nedRow!.id, thread.id],
    );
    await ned.call('createPost', { params: P(), body: { body: '30th in the hour', replyTo: thread.id } });
    const hourly = await rejects(ned.call('createPost', { params: P(), body: { body: '31st', replyTo: thread.id } }), 429, 'rate_limited', /30 posts an hour/);
    assert.deepEqual(hourly.limit, { max: 30, seconds: 3600 });
    assert.ok(Number(hourly.retryAfterSeconds) > 60);

    // A parallel burst cannot overshoot: the check and the insert are serialised per collaboration.
    const ola = await t.join('ola');
    const burst = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => ola.call('createPost', { params: P(), body: { title: `burst ${i}`, body: 'b' } })));
    assert.equal(burst.filter((x) => x.status === 'fulfilled').length, 5);
    for (const x of burst) if (x.status === 'rejected') assert.equal((x.reason as AgoraApiError).code, 'rate_limited');

    // Organizers are not rate limited (rulings must always get through).
    for (let i = 0; i < 6; i++) await t.admin.call('createPost', { params: P(), body: { body: `org ${i}`, replyTo: thread.id } });
  });
});
