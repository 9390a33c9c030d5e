// kill -9 of the server (`agora serve`, a real child process on this engine: PGlite with its data
// folder on disk, or PostgreSQL) in the middle of a burst of concurrent writes. After a restart on
// the same data, every acknowledged write is there whole (posts with their revisions and links,
// pages with every revision, submissions with their bundle and files), and the database keeps every
// invariant of consistencyProblems (no half-written change, event ids without gaps). Decision 0160.
// The engine comes from AGORA_TEST_ENGINE; testDatabaseTarget gives the child its database.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test } from 'node:test';
import { AgoraApiError, type AgoraClient } from '@agora/sdk';
import { consistencyProblems, openDb, openLocalBlobStore, referencedBlobs } from '@agora/store';
import { testEngine } from '@agora/store/testing';
import { ChildServer } from './crash-testing.ts';

const long = process.env.AGORA_LONG_TESTS === '1';
const servers: ChildServer[] = [];
after(async () => {
  for (const s of servers) await s.dispose();
});

interface Acked {
  posts: Map<number, { body: string; revision: number; page?: string; submission?: number }>;
  pages: Map<string, { revisions: string[] }>;
  submissions: Map<number, { bundleSha256: string; files: number }>;
}

/** A network failure (the server died under the request): its outcome is unknown, so the worker stops. */
const died = (e: unknown) => !(e instanceof AgoraApiError);

/**
 * One participant's writes, one at a time (so at most one is in flight, outcome unknown, when the
 * server dies): a page, a submission, a thread citing both, page edits, a reply, a post edit.
 */
async function writer(me: AgoraClient, collab: string, n: number, acked: Acked, rounds: number): Promise<void> {
  try {
    for (let round = 0; round < rounds; round++) {
      const slug = `w${n}-r${round}`;
      const body = `Page of writer ${n}, round ${round}.\n`;
      await me.call('createPage', { params: { collab }, body: { slug, title: `W${n} R${round}`, category: 'other', body } });
      acked.pages.set(slug, { revisions: [body] });
      const files = [
        { path: 'agora.json', content: JSON.stringify({ command: ['node', 'main.js'] }) },
        { path: 'main.js', content: `console.log("score ${n * 100 + round}");\n` },
      ];
      const s = await me.call('createSubmission', { params: { collab }, body: { title: `w${n} r${round}`, files } });
      acked.submissions.set(s.submission.id, { bundleSha256: s.submission.bundleSha256, files: s.submission.files.length });
      const text = `Writer ${n} round ${round}: see [[${slug}]] and #s${s.submission.id}.`;
      const post = await me.call('createPost', { params: { collab }, body: { title: `w${n} r${round}`, body: text, tags: ['proposal'] } });
      acked.posts.set(post.id, { body: text, revision: 1, page: slug, submission: s.submission.id });
      for (let e = 1; e <= 2; e++) {
        const next = `${body}Edit ${e}.\n`;
        await me.call('editPage', { params: { collab, slug }, body: { baseRevision: e, body: next } });
        acked.pages.get(slug)!.revisions.push(next);
      }
      const reply = `Reply of writer ${n} to #p${post.id}.`;
      const r = await me.call('createPost', { params: { collab }, body: { body: reply, replyTo: post.id } });
      acked.posts.set(r.id, { body: reply, revision: 1 });
      const edited = `${text} (edited)`;
      await me.call('editPost', { params: { collab, id: post.id }, body: { body: edited } });
      acked.posts.set(post.id, { ...acked.posts.get(post.id)!, body: edited, revision: 2 });
    }
  } catch (e) {
    if (!died(e)) throw e;
  }
}

async function checkAcked(c: AgoraClient, collab: string, acked: Acked): Promise<void> {
  for (const [id, p] of acked.posts) {
    const got = (await c.call('getPost', { params: { collab, id } })).post;
    // An edit in flight when the server died may have committed: at least the acknowledged revision.
    assert.ok(got.revision >= p.revision, `#p${id} lost its acknowledged revision ${p.revision}`);
    const revisions = await c.call('listRevisions', { params: { collab, id }, query: { limit: 100 } });
    assert.ok(revisions.items.some((r) => r.body === p.body), `#p${id}: the acknowledged text is in no revision`);
    assert.equal(revisions.items.length, got.revision, `#p${id}: one revision row per revision`);
    if (p.page) assert.ok(got.refs?.pages.some((x) => x.slug === p.page), `#p${id} lost its link to [[${p.page}]]`);
    if (p.submission) assert.ok(got.refs?.submissions.some((x) => x.id === p.submission), `#p${id} lost its link to #s${p.submission}`);
  }
  for (const [slug, pg] of acked.pages) {
    const got = await c.call('getPage', { params: { collab, slug } });
    assert.ok(got.page.currentRevision >= pg.revisions.length, `[[${slug}]] lost acknowledged revisions`);
    for (let i = 0; i < pg.revisions.length; i++) {
      const r = await c.call('getPage', { params: { collab, slug }, query: { revision: i + 1 } });
      assert.equal(r.revision.body, pg.revisions[i], `[[${slug}]] revision ${i + 1}`);
    }
  }
  for (const [id, s] of acked.submissions) {
    const got = await c.call('getSubmission', { params: { collab, id } });
    assert.equal(got.bundleSha256, s.bundleSha256);
    assert.equal(got.files.length, s.files);
    const res = await c.raw(c.path('downloadBundle', { collab, id }).slice(c.url.length));
    assert.equal(res.status, 200, `#s${id}: bundle download`);
    const bytes = Buffer.from(await res.arrayBuffer());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), s.bundleSha256, `#s${id}: the stored bundle is whole`);
  }
}

test(`kill -9 of the server (${testEngine()}) during a burst of writes loses no acknowledged write and leaves nothing half-written`, { timeout: 300_000 }, async () => {
  const server = new ChildServer();
  servers.push(server);
  await server.prepare();
  let up = await server.start();
  const collab = await server.createCollaboration(up.admin);
  const writers = await Promise.all(Array.from({ length: long ? 8 : 4 }, (_, i) => server.join(up.admin, collab, `writer${i}`)));
  const acked: Acked = { posts: new Map(), pages: new Map(), submissions: new Map() };
  const total = () => acked.posts.size + acked.pages.size + acked.submissions.size;
  const burst = Promise.all(writers.map((w, i) => writer(w, collab, i, acked, long ? 2 : 1)));
  // Mid-burst, by what has been acknowledged (not by time): some writes done, others in flight.
  const threshold = long ? 30 : 10;
  await Promise.race([server.until(`${threshold} acknowledged writes`, () => total() >= threshold), burst]);
  assert.ok(total() < writers.length * (long ? 2 : 1) * 6, 'the kill came after every write was done: the test proves nothing');
  await server.kill9();
  await burst;
  assert.ok(total() >= threshold, `only ${total()} writes acknowledged`);

  // The same data folder (and PGlite's files in it) opens again.
  up = await server.start();
  await checkAcked(up.admin, collab, acked);
  // And the writers carry on where they were.
  await writer(writers[0]!, collab, 99, acked, 1);
  await checkAcked(up.admin, collab, acked);
  await server.stop();

  const db = await openDb(server.database!.target);
  try {
    assert.deepEqual(await consistencyProblems(db), []);
    const blobs = await openLocalBlobStore(server.artifactsDir);
    for (const sha of await referencedBlobs(db)) assert.ok(await blobs.stat(sha), `blob ${sha} is referenced but missing`);
  } finally {
    await db.close();
  }
});
