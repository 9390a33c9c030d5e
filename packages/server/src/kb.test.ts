import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eventsOf } from '@agora/core';
import { AgoraApiError, type AgoraClient } from '@agora/sdk';
import { startTestServer, writeFixtureChallenge, type TestServer } from './testing.ts';

const rejects = async (p: Promise<unknown>, status: number, code: string, message?: RegExp) => {
  let caught: AgoraApiError | undefined;
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AgoraApiError, `expected an API error, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, status);
    if (message) assert.match(e.message, message);
    caught = e;
    return true;
  });
  return caught!;
};

describe('knowledge base', () => {
  let t: TestServer;
  let ada: AgoraClient, bob: AgoraClient, cy: AgoraClient, obs: AgoraClient;
  let collabId: number;
  const P = (slug: string) => ({ collab: t.collab, slug });

  const count = async (sql: string, params: unknown[] = []) =>
    Number((await t.testDb.db.query<{ n: number }>(sql, params))[0]!.n);

  /** A submission row straight in the table: the submissions API is another area's, and only existence matters here. */
  async function seedSubmission(collaborationId: number, authorHandle: string): Promise<number> {
    const sha = 'a'.repeat(64);
    await t.testDb.db.query(`insert into artifacts (sha256, size_bytes, media_type) values ($1, 1, 'application/gzip') on conflict do nothing`, [sha]);
    const [row] = await t.testDb.db.query<{ id: number }>(
      `insert into submissions (collaboration_id, author_id, title, bundle_sha256, file_count, total_bytes, fingerprint)
       select $1, id, 'int4 lm_head', $2, 1, 1, $2 from participants where handle = $3 returning id`,
      [collaborationId, sha, authorHandle],
    );
    return row!.id;
  }
  async function seedPost(collaborationId: number, authorHandle: string): Promise<number> {
    const [row] = await t.testDb.db.query<{ id: number }>(
      `insert into posts (collaboration_id, author_id, title, body) select $1, id, 'results', 'tps' from participants where handle = $2 returning id`,
      [collaborationId, authorHandle],
    );
    return row!.id;
  }

  before(async () => {
    t = await startTestServer();
    ada = await t.join('ada');
    bob = await t.join('bob');
    cy = await t.join('cy');
    obs = await t.join('obs', 'observer');
    collabId = (await t.admin.call('getCollaboration', { params: { collab: t.collab } })).id;
  });
  after(async () => t.close());

  test('create, edit twice, hit an edit conflict, diff revisions, revert', async () => {
    const created = await ada.call('createPage', {
      params: { collab: t.collab },
      body: { slug: 'lever-map', title: 'Lever map', category: 'lever-map', body: '# Levers\n\n- int4 weights\n- cuda graphs\n', summary: 'start' },
    });
    assert.equal(created.page.currentRevision, 1);
    assert.equal(created.revision.author, 'ada');
    assert.equal(created.page.createdBy, 'ada');
    assert.match(created.html!, /<h1>Levers<\/h1>/);

    const e1 = await bob.call('editPage', {
      params: P('lever-map'),
      body: { baseRevision: 1, body: '# Levers\n\n- int4 weights\n- cuda graphs\n- spec decode\n', summary: 'add spec decode' },
    });
    assert.equal(e1.page.currentRevision, 2);
    assert.equal(e1.page.updatedBy, 'bob');
    assert.equal(e1.page.createdBy, 'ada');
    const e2 = await cy.call('editPage', { params: P('lever-map'), body: { baseRevision: 2, title: 'Lever map (decode)' } });
    assert.equal(e2.revision.number, 3);
    assert.equal(e2.page.title, 'Lever map (decode)');
    assert.equal(e2.revision.body, e1.revision.body, 'a title-only edit keeps the body');

    // Ada edits from revision 1, which is stale: 409 with what she needs to merge.
    const conflict = await rejects(
      ada.call('editPage', { params: P('lever-map'), body: { baseRevision: 1, body: '# Levers\n\n- int8 kv cache\n' } }),
      409, 'edit_conflict', /revision 3 .*@cy/,
    );
    const d = conflict.details as { currentRevision: number; author: string; baseRevision: number; diff: { from: number; to: number; unified: string; title: unknown } };
    assert.equal(d.currentRevision, 3);
    assert.equal(d.author, 'cy');
    assert.equal(d.baseRevision, 1);
    assert.equal(d.diff.from, 1);
    assert.equal(d.diff.to, 3);
    assert.match(d.diff.unified, /^\+- spec decode$/m);
    assert.deepEqual(d.diff.title, { from: 'Lever map', to: 'Lever map (decode)' });
    assert.equal(await count('select count(*) as n from page_revisions'), 3, 'the refused edit wrote nothing');

    const revs = await obs.call('listPageRevisions', { params: P('lever-map') });
    assert.deepEqual(revs.items.map((r) => [r.number, r.author, r.summary]), [[3, 'cy', ''], [2, 'bob', 'add spec decode'], [1, 'ada', 'start']]);

    const diff = await obs.call('diffPage', { params: P('lever-map'), query: { from: 1, to: 2 } });
    assert.equal(diff.unified, '--- lever-map@1\n+++ lever-map@2\n@@ -2,3 +2,4 @@\n \n - int4 weights\n - cuda graphs\n+- spec decode\n');
    assert.equal(diff.added, 1);
    assert.equal(diff.removed, 0);
    const backwards = await obs.call('diffPage', { params: P('lever-map'), query: { from: 3, to: 1 } });
    assert.equal(backwards.removed, 1);
    const latest = await obs.call('diffPage', { params: P('lever-map') });
    assert.deepEqual([latest.from, latest.to, latest.hunks.length], [2, 3, 0]);
    await rejects(obs.call('diffPage', { params: P('lever-map'), query: { from: 1, to: 9 } }), 404, 'not_found', /no revision 9/);

    const reverted = await bob.call('revertPage', { params: P('lever-map'), body: { revision: 1, baseRevision: 3 } });
    assert.equal(reverted.revision.number, 4);
    assert.equal(reverted.revision.revertedFrom, 1);
    assert.equal(reverted.revision.summary, 'revert to revision 1');
    assert.equal(reverted.page.title, 'Lever map');
    assert.equal(reverted.revision.body, created.revision.body);
    await rejects(bob.call('revertPage', { params: P('lever-map'), body: { revision: 1, baseRevision: 4 } }), 422, 'unprocessable', /nothing to revert/);
    await rejects(bob.call('revertPage', { params: P('lever-map'), body: { revision: 2, baseRevision: 3 } }), 409, 'edit_conflict');

    const old = await obs.call('getPage', { params: P('lever-map'), query: { revision: 2 } });
    assert.equal(old.revision.author, 'bob');
    assert.equal(old.page.currentRevision, 4);
    await rejects(obs.call('getPage', { params: P('lever-map'), query: { revision: 5 } }), 404, 'not_found');

    const events = await obs.call('listEvents', { params: { collab: t.collab }, query: { types: 'page.created,page.edited,page.reverted' } });
    assert.deepEqual(eventsOf(events.items, 'page.created', 'page.edited', 'page.reverted').map((e) => [e.type, e.actor, e.payload.revision]), [
      ['page.created', 'ada', 1], ['page.edited', 'bob', 2], ['page.edited', 'cy', 3], ['page.reverted', 'bob', 4],
    ]);
    assert.equal(events.items[0]!.subject, '[[lever-map]]');
  });

  test('two edits against the same base: exactly one wins, the other gets 409', async () => {
    const clients = [ada, bob, cy];
    await ada.call('createPage', { params: { collab: t.collab }, body: { slug: 'race', title: 'Race', category: 'other', body: 'v1\n' } });
    for (let round = 0; round < 3; round++) {
      const base = (await ada.call('getPage', { params: P('race') })).page.currentRevision;
      const results = await Promise.allSettled(
        [0, 1, 2, 3, 4, 5].map((i) => clients[i % 3]!.call('editPage', { params: P('race'), body: { baseRevision: base, body: `round ${round} writer ${i}\n` } })),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(ok.length, 1, `round ${round}: ${JSON.stringify(failed.map((f) => String(f.reason)))}`);
      for (const f of failed) {
        assert.ok(f.reason instanceof AgoraApiError);
        assert.equal(f.reason.code, 'edit_conflict', f.reason.message);
        assert.equal((f.reason.details as { currentRevision: number }).currentRevision, base + 1);
      }
    }
    const page = await ada.call('getPage', { params: P('race') });
    assert.equal(page.page.currentRevision, 4);
    assert.equal(await count(`select count(*) as n from page_revisions r join pages p on p.id = r.page_id where p.slug = 'race'`), 4);
    assert.equal(await count(`select count(*) as n from events where type = 'page.edited' and subject = '[[race]]'`), 3);
  });

  test('references: known ones become edges and backlinks, unknown ones are refused by name', async () => {
    const s = await seedSubmission(collabId, 'ada');
    const p = await seedPost(collabId, 'bob');
    const before = await count('select count(*) as n from events');
    const bad = await rejects(
      ada.call('createPage', { params: { collab: t.collab }, body: { slug: 'refs', title: 'Refs', category: 'playbook', body: `see [[no-such-page]], #s999 and #p998 and #s${s}` } }),
      422, 'unprocessable', /\[\[no-such-page\]\].*#s999.*#p998/,
    );
    assert.deepEqual(bad.details, { unknown: { pages: ['no-such-page'], submissions: [999], posts: [998] } });
    assert.equal(await count(`select count(*) as n from pages where slug = 'refs'`), 0, 'nothing half-written');
    assert.equal(await count('select count(*) as n from events'), before);

    const body = `Built on #s${s}, discussed in #p${p}; see [[lever-map]] and this page [[refs]].\n\n\`\`\`\n#s999 [[not-a-link]] in code\n\`\`\`\n`;
    const page = await ada.call('createPage', { params: { collab: t.collab }, body: { slug: 'refs', title: 'Refs', category: 'playbook', body } });
    assert.deepEqual(page.links, { pages: [{ slug: 'lever-map', title: 'Lever map' }, { slug: 'refs', title: 'Refs' }], submissions: [s], posts: [p] });
    assert.match(page.html!, new RegExp(`href="/v1/collaborations/${t.collab}/submissions/${s}"`));

    const lever = await obs.call('getPage', { params: P('lever-map') });
    assert.deepEqual(lever.linkedFrom, [{ slug: 'refs', title: 'Refs' }]);
    assert.deepEqual(lever.linkedFromPosts, []);
    const post = await bob.call('createPost', { params: { collab: t.collab }, body: { title: 'Lever notes', body: 'I updated [[lever-map]]' } });
    assert.deepEqual((await obs.call('getPage', { params: P('lever-map') })).linkedFromPosts, [post.id]);
    const bySubmission = await obs.call('listPages', { params: { collab: t.collab }, query: { linksTo: `#s${s}` } });
    assert.deepEqual(bySubmission.items.map((x) => x.slug), ['refs']);
    assert.deepEqual((await obs.call('listPages', { params: { collab: t.collab }, query: { linksTo: `#p${p}` } })).items.map((x) => x.slug), ['refs']);
    assert.deepEqual((await obs.call('listPages', { params: { collab: t.collab }, query: { linksTo: '[[lever-map]]' } })).items.map((x) => x.slug), ['refs']);

    // An edit that adds an unknown reference is refused whole; edges follow the current revision.
    await rejects(ada.call('editPage', { params: P('refs'), body: { baseRevision: 1, body: `${body}\nand #s424242` } }), 422, 'unprocessable', /#s424242/);
    assert.equal((await obs.call('getPage', { params: P('refs') })).page.currentRevision, 1);
    await ada.call('editPage', { params: P('refs'), body: { baseRevision: 1, body: 'no links any more' } });
    assert.deepEqual((await obs.call('getPage', { params: P('lever-map') })).linkedFrom, []);
    assert.equal((await obs.call('listPages', { params: { collab: t.collab }, query: { linksTo: `#s${s}` } })).items.length, 0);
    // The old revision still shows its links.
    assert.deepEqual((await obs.call('getPage', { params: P('refs'), query: { revision: 1 } })).links.submissions, [s]);

    // Ids from another collaboration do not count as known.
    const other = await t.admin.call('createCollaboration', { body: { challengeDir: writeFixtureChallenge(join(t.dataDir, 'other')), slug: 'other' } });
    const foreign = await seedSubmission(other.id, 'ada');
    await rejects(ada.call('createPage', { params: { collab: t.collab }, body: { slug: 'foreign', title: 'F', category: 'other', body: `#s${foreign}` } }), 422, 'unprocessable');
  });

  test('markdown with script tags and javascript: links is stored as written and rendered inert', async () => {
    const body = '<script>alert(1)</script>\n\n[click](javascript:alert(1)) [x](JaVa\tScRiPt:alert(2)) <img src=x onerror=alert(3)>\n\n**bold** `<b>code</b>`\n';
    const page = await bob.call('createPage', { params: { collab: t.collab }, body: { slug: 'xss', title: '<script>alert("t")</script>', category: 'dead-ends', body } });
    assert.equal(page.revision.body, body, 'stored exactly as written');
    assert.equal(page.page.title, '<script>alert("t")</script>');
    const html = page.html!;
    // Every tag in the output is one the renderer made: no script, no img, no handler, no javascript: link.
    assert.ok(!/<script|<img|<[^>]*\son\w+=|href="\s*java/i.test(html), html);
    assert.deepEqual([...new Set([...html.matchAll(/<\/?([a-z0-9]+)/gi)].map((m) => m[1]))].sort(), ['code', 'p', 'strong']);
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /<strong>bold<\/strong>/);
  });

  test('unicode: titles and bodies round-trip; lone surrogates, NUL and bidi overrides are refused', async () => {
    const body = 'Ünïcödé 🚀 — 推测解码, zero\u200bwidth, combining e\u0301, RTL עברית\n';
    const page = await cy.call('createPage', { params: { collab: t.collab }, body: { slug: 'unicode', title: 'Décodage 🚀 推测', category: 'tools', body } });
    assert.equal((await obs.call('getPage', { params: P('unicode') })).revision.body, body);
    assert.equal(page.page.title, 'Décodage 🚀 推测');
    assert.equal(page.revision.bytes, Buffer.byteLength(body));

    const raw = (json: string) =>
      fetch(`${t.url}/v1/collaborations/${t.collab}/pages`, { method: 'POST', headers: { ...cy.headers(), 'content-type': 'application/json' }, body: json });
    for (const json of [
      '{"slug":"s1","title":"x","category":"tools","body":"lone \\ud800 surrogate"}',
      '{"slug":"s2","title":"x","category":"tools","body":"nul \\u0000 byte"}',
      '{"slug":"s3","title":"evil \\u202e txt.exe","category":"tools","body":"x"}',
      '{"slug":"s4","title":"x\\ny","category":"tools","body":"x"}',
    ]) {
      const res = await raw(json);
      assert.equal(res.status, 400, json);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'validation_failed');
    }
    assert.equal(await count(`select count(*) as n from pages where slug in ('s1', 's2', 's3', 's4')`), 0);
  });

  test('bad input: slugs, categories, sizes, revision numbers, roles', async () => {
    const create = (c: AgoraClient, body: Record<string, unknown>) =>
      c.call('createPage', { params: { collab: t.collab }, body: { title: 'T', category: 'other', body: 'x', ...body } as never });
    await rejects(create(ada, { slug: 'Bad Slug' }), 400, 'validation_failed', /slug/);
    await rejects(create(ada, { slug: "x'; drop table pages;--" }), 400, 'validation_failed');
    await rejects(create(ada, { slug: 'search' }), 400, 'validation_failed', /reserved/);
    await rejects(create(ada, { slug: 'ok', category: 'secrets' }), 400, 'validation_failed');
    await rejects(create(ada, { slug: 'ok', title: '' }), 400, 'validation_failed');
    await rejects(create(ada, { slug: 'big', body: 'é'.repeat(128 * 1024 + 1) }), 400, 'validation_failed', /262144 bytes/);
    const exact = await create(ada, { slug: 'exactly-max', body: 'é'.repeat(128 * 1024) });
    assert.equal(exact.revision.bytes, 256 * 1024 + 1, 'the limit is on what is written; the final newline is added (decision 0119)');
    await rejects(create(ada, { slug: 'lever-map' }), 409, 'conflict', /exists already/);
    await rejects(create(obs, { slug: 'by-observer' }), 403, 'forbidden');
    await rejects(create(t.anonymous, { slug: 'by-anon' }), 401, 'unauthorized');

    const edit = (body: Record<string, unknown>) => ada.call('editPage', { params: P('exactly-max'), body: body as never });
    await rejects(edit({ baseRevision: -1, body: 'y' }), 400, 'validation_failed');
    await rejects(edit({ baseRevision: 1.5, body: 'y' }), 400, 'validation_failed');
    await rejects(edit({ baseRevision: 1 }), 400, 'validation_failed', /nothing to change/);
    await rejects(edit({ baseRevision: 7, body: 'y' }), 422, 'unprocessable', /does not exist/);
    await rejects(edit({ baseRevision: 1, category: 'other' }), 422, 'unprocessable', /changes nothing/);
    await rejects(obs.call('editPage', { params: P('exactly-max'), body: { baseRevision: 1, body: 'y' } }), 403, 'forbidden');
    await rejects(ada.call('editPage', { params: P('no-such-page'), body: { baseRevision: 1, body: 'y' } }), 404, 'not_found');
    await rejects(obs.call('getPage', { params: P('no-such-page') }), 404, 'not_found');
    await rejects(obs.call('listPages', { params: { collab: t.collab }, query: { cursor: 'garbage!' } }), 400, 'validation_failed', /cursor/);
    await rejects(obs.call('listPages', { params: { collab: t.collab }, query: { linksTo: "'; select 1" } }), 400, 'validation_failed');
    // Organizers edit too; anonymous observers read.
    const byAdmin = await t.admin.call('editPage', { params: P('exactly-max'), body: { baseRevision: 1, body: 'short now' } });
    assert.equal(byAdmin.revision.number, 2);
    assert.equal((await t.anonymous.call('getPage', { params: P('exactly-max') })).revision.body, 'short now\n', 'stored with a final newline');
  });

  test('list by category with cursor pagination; revisions paginate too', async () => {
    for (let i = 0; i < 5; i++) {
      await ada.call('createPage', { params: { collab: t.collab }, body: { slug: `tool-${i}`, title: `Tool ${i}`, category: 'tools', body: `tool ${i}` } });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 10; n++) {
      const res = await obs.call('listPages', { params: { collab: t.collab }, query: { category: 'tools', limit: 2, ...(cursor ? { cursor } : {}) } });
      seen.push(...res.items.map((x) => x.slug));
      assert.ok(res.items.every((x) => x.category === 'tools'));
      if (!res.nextCursor) break;
      cursor = res.nextCursor;
    }
    assert.deepEqual(seen, ['tool-0', 'tool-1', 'tool-2', 'tool-3', 'tool-4', 'unicode']);

    for (let r = 1; r <= 4; r++) await bob.call('editPage', { params: P('tool-0'), body: { baseRevision: r, body: `tool 0 v${r + 1}` } });
    const first = await obs.call('listPageRevisions', { params: P('tool-0'), query: { limit: 3 } });
    assert.deepEqual(first.items.map((x) => x.number), [5, 4, 3]);
    const second = await obs.call('listPageRevisions', { params: P('tool-0'), query: { limit: 3, cursor: first.nextCursor! } });
    assert.deepEqual(second.items.map((x) => x.number), [2, 1]);
    assert.equal(second.nextCursor, null);
  });

  test('search: ranked full text over current revisions, paginated, filtered, safe with odd queries', async () => {
    await ada.call('createPage', { params: { collab: t.collab }, body: { slug: 'speculative-decoding', title: 'Speculative decoding', category: 'playbook', body: 'Draft models and acceptance rates. Speculative decoding loses at batch 1 when the drafter is big.' } });
    await ada.call('createPage', { params: { collab: t.collab }, body: { slug: 'kv-cache', title: 'KV cache', category: 'lever-map', body: 'int8 kv cache; see also speculative methods.' } });
    await ada.call('createPage', { params: { collab: t.collab }, body: { slug: 'old-idea', title: 'Old idea', category: 'dead-ends', body: 'speculative sampling was tried' } });
    await ada.call('editPage', { params: P('old-idea'), body: { baseRevision: 1, body: 'nothing here now' } });

    const res = await obs.call('searchPages', { params: { collab: t.collab }, query: { q: 'speculative decoding' } });
    assert.equal(res.items[0]!.slug, 'speculative-decoding', 'the title match ranks first');
    assert.match(res.items[0]!.snippet, /\*\*Speculative\*\*/);
    assert.ok(!res.items.some((x) => x.slug === 'old-idea'), 'only current revisions are searched');

    const broad = await obs.call('searchPages', { params: { collab: t.collab }, query: { q: 'speculative' } });
    assert.deepEqual(broad.items.map((x) => x.slug).sort(), ['kv-cache', 'speculative-decoding']);
    const ranks = broad.items.map((x) => x.rank);
    assert.deepEqual(ranks, [...ranks].sort((a, b) => b - a));
    const p1 = await obs.call('searchPages', { params: { collab: t.collab }, query: { q: 'speculative', limit: 1 } });
    const p2 = await obs.call('searchPages', { params: { collab: t.collab }, query: { q: 'speculative', limit: 1, cursor: p1.nextCursor! } });
    assert.deepEqual([...p1.items, ...p2.items].map((x) => x.slug), broad.items.map((x) => x.slug));
    assert.equal(p2.nextCursor, null);

    // Equal ranks page by id: nothing is skipped or repeated.
    for (const n of [1, 2, 3]) {
      await bob.call('createPage', { params: { collab: t.collab }, body: { slug: `twin-${n}`, title: 'Twin', category: 'other', body: 'quantization twin page' } });
    }
    const twins: string[] = [];
    let cursor: string | undefined;
    for (let n = 0; n < 5; n++) {
      const r = await obs.call('searchPages', { params: { collab: t.collab }, query: { q: 'quantization twin', limit: 1, ...(cursor ? { cursor } : {}) } });
      twins.push(...r.items.map((x) => x.slug));
      if (!r.nextCursor) break;
      cursor = r.nextCursor;
    }
    assert.deepEqual(twins, ['twin-3', 'twin-2', 'twin-1']);
    await rejects(obs.call('searchPages', { params: { collab: t.collab }, query: { q: 'x', cursor: Buffer.from('["1; drop",1]').toString('base64url') } }), 400, 'validation_failed');

    const filtered = await obs.call('searchPages', { params: { collab: t.collab }, query: { q: 'speculative', category: 'lever-map' } });
    assert.deepEqual(filtered.items.map((x) => x.slug), ['kv-cache']);
    for (const q of ["'; drop table pages; --", 'the', ') ( :* & | !', '"unterminated', '推测解码', '<script>']) {
      const r = await obs.call('searchPages', { params: { collab: t.collab }, query: { q } });
      assert.ok(Array.isArray(r.items), q);
    }
    assert.deepEqual((await obs.call('searchPages', { params: { collab: t.collab }, query: { q: '推测解码' } })).items.map((x) => x.slug), ['unicode']);
    assert.equal((await obs.call('searchPages', { params: { collab: t.collab }, query: { q: 'Décodage' } })).items[0]?.slug, 'unicode');
    assert.equal(await count(`select count(*) as n from pages where slug = 'speculative-decoding'`), 1);
  });
});
