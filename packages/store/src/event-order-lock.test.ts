import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { appendEvent } from './events.ts';
import { openTestDb, type TestDb } from './testing.ts';

/**
 * Event ids become visible in commit order because appendEvent takes one transaction-scoped lock
 * before it inserts (docs/decisions/0003). The concurrent-writers test of the stream
 * (server/src/events.test.ts) only bites on PostgreSQL: PGlite runs one transaction at a time.
 * This checks the lock itself, on both engines.
 */
let t: TestDb;
before(async () => {
  t = await openTestDb();
});
after(async () => t.dispose());

const EVENT_LOG_LOCK = 4242002;
const eventLockHeld = async (q: { query: TestDb['db']['query'] }) =>
  (await q.query<{ n: number }>(
    `select count(*)::int as n from pg_locks where locktype = 'advisory' and pid = pg_backend_pid() and classid = 0 and objid = $1`, [EVENT_LOG_LOCK]))[0]!.n === 1;

test('appendEvent holds the event-log lock until its transaction ends', async () => {
  await t.db.transaction(async (tx) => {
    assert.equal(await eventLockHeld(tx), false);
    await appendEvent(tx, { collaborationId: null, actorId: null, type: 'runner.revoked', payload: { runnerId: 1 } });
    assert.equal(await eventLockHeld(tx), true, 'held after the insert, so a later writer waits for this commit');
    throw new Error('roll back');
  }).catch((e: Error) => assert.equal(e.message, 'roll back'));
  assert.equal(await eventLockHeld(t.db), false, 'released with the transaction');
});
