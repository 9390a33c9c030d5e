import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AgoraEvent } from '@agora/core';
import { AgoraClient, parseSse } from '@agora/sdk';
import { appendEvent, type Db } from '@agora/store';
import { startTestServer, type TestServer } from './testing.ts';

/** A raw SSE reader that keeps what it got, so the test can watch many at once. */
function observe(t: TestServer, lastId: number) {
  const ctrl = new AbortController();
  const got: AgoraEvent[] = [];
  const done = (async () => {
    const res = await fetch(`${t.url}/v1/collaborations/${t.collab}/events/stream`, { headers: { 'last-event-id': String(lastId) }, signal: ctrl.signal });
    assert.equal(res.status, 200);
    try {
      for await (const msg of parseSse(res.body!)) got.push(JSON.parse(msg.data) as AgoraEvent);
    } catch (err) {
      if (!ctrl.signal.aborted) throw err;
    }
  })();
  return { got, stop: async () => { ctrl.abort(); await done.catch(() => {}); } };
}

async function until(what: string, ok: () => boolean, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Counts the queries that read the event log, from now on. */
function countEventReads(db: Db) {
  const original = db.query.bind(db);
  let n = 0;
  db.query = (async (sql: string, params?: unknown[]) => {
    if (/from events e\b/.test(sql)) n++;
    return original(sql, params);
  }) as Db['query'];
  return { get reads() { return n; }, restore: () => { db.query = original; } };
}

describe('live stream fan-out', () => {
  let t: TestServer;
  let collabId: number;
  before(async () => {
    t = await startTestServer();
    collabId = (await t.testDb.db.query<{ id: number }>('select id from collaborations where slug = $1', [t.collab]))[0]!.id;
  });
  after(async () => t.close());
  const lastId = async () => (await t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: 0, limit: 1000 } })).lastId;

  test('each event is read once for all observers, and every observer gets the log exactly, in order', async () => {
    const start = await lastId();
    const OBSERVERS = 40;
    const observers = Array.from({ length: OBSERVERS }, () => observe(t, start));
    try {
      await t.admin.call('createInvite', { params: { collab: t.collab }, body: {} });
      await until('every observer caught up', () => observers.every((o) => o.got.length === 1));
      const counter = countEventReads(t.testDb.db);
      const WRITES = 30;
      try {
        await Promise.all(Array.from({ length: WRITES }, () => t.admin.call('createInvite', { params: { collab: t.collab }, body: {} })));
        await until('every event at every observer', () => observers.every((o) => o.got.length === WRITES + 1));
      } finally {
        counter.restore();
      }
      // One read per notification at most (often fewer: they coalesce), never one per observer.
      assert.ok(counter.reads >= 1, "the counter sees the fan-out's reads");
      assert.ok(counter.reads <= WRITES + 2, `${counter.reads} reads of the log for ${WRITES} events and ${OBSERVERS} observers`);
      const log = (await t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: start, limit: 1000 } })).items.map((e) => e.id);
      for (const o of observers) assert.deepEqual(o.got.map((e) => e.id), log, 'nothing lost, duplicated or out of order');
    } finally {
      await Promise.all(observers.map((o) => o.stop()));
    }
  });

  test('an observer that falls behind is dropped, not waited for, and resumes from its last id with nothing lost', async () => {
    const fanout = t.server.services.hub.fanout;
    const start = await lastId();
    const ctrl = new AbortController();
    const seen: number[] = [];
    let connections = 0;
    const originalFetch = globalThis.fetch;
    const counting: typeof fetch = (input, init) => {
      if (String(input).includes('/events/stream')) connections++;
      return originalFetch(input, init);
    };
    const client = new AgoraClient({ url: t.url, apiKey: t.admin.apiKey, fetch: counting });
    const follow = client.followEvents(t.collab, { after: start, signal: ctrl.signal, reconnectMs: 20, onEvent: (e) => { seen.push(e.id); } });
    fanout.queueLimit = 2;
    try {
      await until('the follower is observing', () => fanout.observerCount > 0);
      const before = fanout.observerCount;
      // Five events in one transaction: one notification, one read, five frames offered at once to a
      // queue that holds two. The observer overflows (its queue is cleared at once, so memory stays bounded).
      await t.testDb.db.transaction(async (tx) => {
        for (let i = 0; i < 5; i++) await appendEvent(tx, { collaborationId: collabId, actorId: null, type: 'invite.created', payload: { role: 'participant', maxUses: i + 1 } });
      });
      await until('the follower has all five', () => seen.length === 5);
      assert.ok(connections >= 2, `dropped and reconnected (${connections} connections)`);
      assert.ok(fanout.observerCount <= before, 'the dropped observer is forgotten');
      const log = (await t.admin.call('listEvents', { params: { collab: t.collab }, query: { after: start, limit: 1000 } })).items.map((e) => e.id);
      assert.deepEqual(seen, log, 'resumed from Last-Event-ID: nothing lost, duplicated or out of order');
    } finally {
      fanout.queueLimit = 2_000;
      ctrl.abort();
      await follow;
    }
  });
});
