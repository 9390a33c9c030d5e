import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AgoraEvent } from '@agora/core';
import { parseSse } from '@agora/sdk';
import { startTestServer, type TestServer } from './testing.ts';

/** Reads the SSE stream from `lastId` until `count` events arrived or the stream is cut. */
async function readStream(t: TestServer, lastId: number, count: number): Promise<AgoraEvent[]> {
  const ctrl = new AbortController();
  const res = await fetch(`${t.url}/v1/collaborations/${t.collab}/events/stream`, {
    headers: { 'last-event-id': String(lastId), authorization: `Bearer ${t.admin.apiKey}` },
    signal: ctrl.signal,
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const got: AgoraEvent[] = [];
  try {
    for await (const msg of parseSse(res.body!)) {
      const e = JSON.parse(msg.data) as AgoraEvent;
      assert.equal(msg.id, String(e.id));
      assert.equal(msg.event, e.type);
      got.push(e);
      if (got.length === count) break;
    }
  } finally {
    ctrl.abort();
  }
  return got;
}

describe('event log and live stream', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer();
  });
  after(async () => t.close());

  test('GET /events pages through the log in id order', async () => {
    for (let i = 0; i < 5; i++) await t.admin.call('createInvite', { params: { collab: t.collab }, body: {} });
    const first = await t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: 0, limit: 3 } });
    assert.equal(first.items.length, 3);
    const rest = await t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: first.lastId } });
    const ids = [...first.items, ...rest.items].map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(new Set(ids).size, ids.length);
    // tail: the newest events (what a dashboard shows first), still oldest first; lastId to follow on from.
    const all = [...first.items, ...rest.items];
    const tail = await t.admin.call('listEvents', { params: { collab: t.collab }, query: { tail: 'true', limit: 2 } });
    assert.deepEqual(tail.items.map((e) => e.id), all.slice(-2).map((e) => e.id));
    assert.equal(tail.lastId, all.at(-1)!.id);
    const invites = await t.admin.call('listEvents', { params: { collab: t.collab }, query: { tail: 'true', limit: 100, types: 'invite.created' } });
    assert.equal(invites.items.length, 5);
    assert.equal(ids.length, 6, 'collaboration.created + 5 invites');
    const only = await t.admin.call('listEvents', { params: { collab: t.collab }, query: { types: 'invite.created' } });
    assert.equal(only.items.length, 5);
    await assert.rejects(t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: -1 } }), /after/);
  });

  test('the stream delivers every event in order, including ones written concurrently, and resumes without gaps or duplicates', async () => {
    const before = await t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: 0, limit: 1000 } });
    const start = before.lastId;
    const N = 40;
    const streamed = readStream(t, start, N);
    // Many writers at once: ids are handed out under a commit-ordered lock, so none can be skipped.
    await Promise.all(Array.from({ length: N }, () => t.admin.call('createInvite', { params: { collab: t.collab }, body: {} })));
    const live = await streamed;
    assert.equal(live.length, N);
    const ids = live.map((e) => e.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'in order');
    assert.equal(new Set(ids).size, N, 'no duplicates');
    const logged = await t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: start, limit: 1000 } });
    assert.deepEqual(ids, logged.items.map((e) => e.id), 'exactly the log, no gap');

    // Disconnect after 15 events, write more while disconnected, resume from the last id seen.
    const part1 = await readStream(t, start, 15);
    for (let i = 0; i < 5; i++) await t.admin.call('createInvite', { params: { collab: t.collab }, body: {} });
    const part2 = await readStream(t, part1.at(-1)!.id, N - 15 + 5);
    const resumed = [...part1, ...part2].map((e) => e.id);
    const all = await t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: start, limit: 1000 } });
    assert.deepEqual(resumed, all.items.map((e) => e.id));
  });

  test('the SDK follower reconnects with Last-Event-ID after the server drops it', async () => {
    const ctrl = new AbortController();
    const seen: number[] = [];
    const start = (await t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: 0, limit: 1000 } })).lastId;
    const follow = t.admin.followEvents(t.collab, {
      after: start, signal: ctrl.signal, reconnectMs: 50,
      onEvent: (e) => {
        seen.push(e.id);
        if (seen.length === 6) ctrl.abort();
      },
    });
    for (let i = 0; i < 3; i++) await t.admin.call('createInvite', { params: { collab: t.collab }, body: {} });
    while (seen.length < 3) await new Promise((r) => setTimeout(r, 20));
    // Cut every open connection, as a proxy restart would.
    t.server.dropStreams();
    for (let i = 0; i < 3; i++) await t.admin.call('createInvite', { params: { collab: t.collab }, body: {} });
    await follow;
    const all = await t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: start, limit: 1000 } });
    assert.deepEqual(seen, all.items.map((e) => e.id).slice(0, 6));
  });

  test('a bad Last-Event-ID is a typed error', async () => {
    const res = await fetch(`${t.url}/v1/collaborations/${t.collab}/events/stream`, { headers: { 'last-event-id': 'abc' } });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'validation_failed');
  });

  test('the SDK iterator yields typed events of the asked types only, from the stream filtered by the server', async () => {
    const start = (await t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: 0, limit: 1000 } })).lastId;
    const ctrl = new AbortController();
    const got: Array<{ type: string; role: string }> = [];
    const reading = (async () => {
      for await (const e of t.admin.events(t.collab, { after: start, types: ['member.role_changed', 'member.joined'], signal: ctrl.signal })) {
        got.push({ type: e.type, role: e.payload.role }); // payload typed by the union: role is there on both
        if (got.length === 2) break;
      }
    })();
    await t.admin.call('createInvite', { params: { collab: t.collab }, body: {} }); // not asked for
    const bob = await t.join('bob-events');
    await t.admin.call('setRole', { params: { collab: t.collab, handle: 'bob-events' }, body: { role: 'observer' } });
    await reading;
    assert.deepEqual(got, [{ type: 'member.joined', role: 'participant' }, { type: 'member.role_changed', role: 'observer' }]);
    assert.ok(bob);
  });

  test('the stream refuses an event type that is not in the union', async () => {
    const res = await fetch(`${t.url}/v1/collaborations/${t.collab}/events/stream?types=post.created,no.such`);
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { code: string; message: string; details: { known: string[] } } };
    assert.equal(body.error.code, 'validation_failed');
    assert.match(body.error.message, /no\.such/);
    assert.ok(body.error.details.known.includes('job.succeeded'));
  });

  test('what a handler returns is cut to the response schema: a field the schema does not name never leaves (mount.ts)', async () => {
    // Written past appendEvent on purpose, as a careless migration or a new column could.
    const [c] = await t.testDb.db.query<{ id: number }>('select id from collaborations where slug = $1', [t.collab]);
    await t.testDb.db.query(
      `insert into events (id, collaboration_id, actor_id, type, subject, payload) select coalesce(max(id), 0) + 1, $1, null, 'invite.created', null, $2 from events`,
      [c!.id, JSON.stringify({ role: 'participant', maxUses: 1, code: 'inv_SECRET' })],
    );
    const res = await fetch(`${t.url}/v1/collaborations/${t.collab}/events?types=invite.created&limit=1000`, { headers: { authorization: `Bearer ${t.admin.apiKey}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.ok(text.includes('"maxUses":1'), 'the event is listed');
    assert.ok(!text.includes('inv_SECRET'), 'the payload field the union does not name was stripped');
  });
});
