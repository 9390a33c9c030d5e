// Work claims and the digest on the engine under test: claim, see others' overlapping claims,
// release (author or organizer only), expiry without a sweeper, the per-participant cap, and the
// digest that gathers quota, jobs, the board since my read, claims and the leaderboard.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AgoraApiError, type AgoraClient } from '@agora/sdk';
import { startTestServer, type TestServer } from './testing.ts';

const refused = (status: number, code?: string) => (e: unknown) =>
  e instanceof AgoraApiError && e.status === status && (code === undefined || e.code === code);

describe('work claims and the digest', () => {
  let t: TestServer;
  let ada: AgoraClient;
  let bob: AgoraClient;
  let olga: AgoraClient;
  let watcher: AgoraClient;
  before(async () => {
    t = await startTestServer();
    ada = await t.join('ada');
    bob = await t.join('bob');
    olga = await t.join('olga', 'organizer');
    watcher = await t.join('watcher', 'observer');
  });
  after(() => t.close());
  const collab = () => t.collab;

  test('a claim shows others on the same lever; release is for its author or an organizer', async () => {
    const a = await ada.call('createClaim', { params: { collab: collab() }, body: { lever: 'kv-cache', note: 'trying a KV cache' } });
    assert.equal(a.claim.author, 'ada');
    assert.equal(a.claim.active, true);
    assert.deepEqual(a.overlaps, []);
    const hours = (Date.parse(a.claim.expiresAt) - Date.parse(a.claim.createdAt)) / 3_600_000;
    assert.ok(Math.abs(hours - 6) < 0.01, `default 6 hours, got ${hours}`);

    const b = await bob.call('createClaim', { params: { collab: collab() }, body: { lever: 'kv-cache', hours: 1 } });
    assert.deepEqual(b.overlaps.map((c) => c.id), [a.claim.id], 'bob learns that ada is on it');

    const list = await t.anonymous.call('listClaims', { params: { collab: collab() }, query: { lever: 'kv-cache' } });
    assert.deepEqual(list.items.map((c) => c.author).sort(), ['ada', 'bob']);

    await assert.rejects(bob.call('releaseClaim', { params: { collab: collab(), id: a.claim.id } }), refused(403, 'forbidden'));
    const released = await ada.call('releaseClaim', { params: { collab: collab(), id: a.claim.id } });
    assert.equal(released.active, false);
    assert.ok(released.releasedAt);
    await assert.rejects(ada.call('releaseClaim', { params: { collab: collab(), id: a.claim.id } }), refused(409, 'conflict'));
    const byOrganizer = await olga.call('releaseClaim', { params: { collab: collab(), id: b.claim.id } });
    assert.equal(byOrganizer.active, false);
    const events = await olga.call('listEvents', { params: { collab: collab() }, query: { types: 'claim.created,claim.released' } as never });
    assert.deepEqual(events.items.map((e) => e.type), ['claim.created', 'claim.created', 'claim.released', 'claim.released']);
  });

  test('bad claims are refused whole: nothing named, a missing submission, an observer, too many', async () => {
    await assert.rejects(ada.call('createClaim', { params: { collab: collab() }, body: { note: 'something' } as never }), refused(400, 'validation_failed'));
    await assert.rejects(ada.call('createClaim', { params: { collab: collab() }, body: { submissionId: 999_999 } }), refused(422));
    await assert.rejects(ada.call('createClaim', { params: { collab: collab() }, body: { lever: 'x', hours: 49 } }), refused(400));
    await assert.rejects(watcher.call('createClaim', { params: { collab: collab() }, body: { lever: 'int4' } }), refused(403));
    await assert.rejects(t.anonymous.call('createClaim', { params: { collab: collab() }, body: { lever: 'int4' } }), refused(401));
    const before = (await t.anonymous.call('listClaims', { params: { collab: collab() }, query: {} })).items.length;
    for (let i = 0; i < 5; i++) await bob.call('createClaim', { params: { collab: collab() }, body: { lever: `lever-${i}` } });
    await assert.rejects(bob.call('createClaim', { params: { collab: collab() }, body: { lever: 'one-too-many' } }), refused(409, 'conflict'));
    assert.equal((await t.anonymous.call('listClaims', { params: { collab: collab() }, query: {} })).items.length, before + 5);
  });

  test('claims expire on their own', async () => {
    const c = await ada.call('createClaim', { params: { collab: collab() }, body: { lever: 'spec-decode', hours: 1 } });
    assert.ok((await t.anonymous.call('listClaims', { params: { collab: collab() }, query: { lever: 'spec-decode' } })).items.length === 1);
    // Time travel: the claim's hour is over.
    await t.testDb.db.query(`update claims set created_at = now() - interval '2 hours', expires_at = now() - interval '1 second' where id = $1`, [c.claim.id]);
    assert.deepEqual((await t.anonymous.call('listClaims', { params: { collab: collab() }, query: { lever: 'spec-decode' } })).items, []);
    await assert.rejects(ada.call('releaseClaim', { params: { collab: collab(), id: c.claim.id } }), refused(409));
  });

  test('the digest: quota, the board since my read (replies and mentions), claims, bounded', async () => {
    const thread = await ada.call('createPost', { params: { collab: collab() }, body: { title: 'Plan', body: 'KV cache first.' } });
    await ada.call('markRead', { params: { collab: collab() }, body: {} });
    await bob.call('createPost', { params: { collab: collab() }, body: { replyTo: thread.id, body: '@ada agreed, I take int4.' } });
    const d = await ada.call('getDigest', { params: { collab: collab() }, query: { limit: 3 } });
    assert.equal(d.me, 'ada');
    assert.equal(d.role, 'participant');
    assert.equal(d.quota.remaining, d.quota.limit);
    assert.equal(d.board.repliesToMe.total, 1);
    assert.equal(d.board.mentionsOfMe.total, 1);
    assert.ok(d.claims.length <= 3 && d.claims.length > 0, 'claims, at most the limit');
    assert.ok(JSON.stringify(d).length < 64 * 1024, 'fits an agent\'s context');
    await assert.rejects(t.anonymous.call('getDigest', { params: { collab: collab() }, query: {} }), refused(401));
    await assert.rejects(ada.call('getDigest', { params: { collab: collab() }, query: { limit: 21 } as never }), refused(400));
  });
});
