import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AgoraClient } from '@agora/sdk';
import { expireJobLease, moveRunningJobClock } from '@agora/store/testing';
import { insertSubmission, newRunner } from './jobs.fixtures.ts';
import { startSweeper, sweepOnce } from './sweeper.ts';
import { startTestServer, type TestServer } from './testing.ts';

/**
 * Issue 12, "Faults: clock jumps" (decision 0096): lease and running-time deadlines are wall-clock
 * timestamps in the database. A jump of its clock is simulated the only way that does not touch
 * the machine's clock: the running job's deadlines are moved by the jump instead (to the job, a
 * clock four years ahead and a lease written four years back are the same thing).
 */
const FOUR_YEARS_S = 4 * 365 * 24 * 3600;

describe('the sweeper across jumps of the database clock', () => {
  let t: TestServer;
  let ada: AgoraClient;
  let runner: Awaited<ReturnType<typeof newRunner>>;
  before(async () => {
    // No background sweeps: each test sweeps when the jump is in place.
    t = await startTestServer({ sweepIntervalMs: 0 });
    ada = await t.join('ada');
    runner = await newRunner(t);
  });
  after(() => t?.close());

  async function running(): Promise<{ id: number; leaseToken: string }> {
    const submissionId = await insertSubmission(t, ada);
    await ada.call('createJob', { params: { collab: t.collab }, body: { submissionId, split: 'public' } });
    const { job } = await runner.client.call('claimJob', { body: { labels: ['cpu'] } });
    return { id: job!.jobId, leaseToken: job!.leaseToken };
  }
  const job = (id: number) => ada.call('getJob', { params: { collab: t.collab, id } });

  test('a jump forward is not time that passed: leases and running time start again, nothing is re-queued or timed out', async () => {
    // The control: the same jump without the sweeper knowing of it re-queues a live runner's job.
    const control = await running();
    await moveRunningJobClock(t.testDb.db, control.id, -FOUR_YEARS_S);
    const unaware = await sweepOnce(t.testDb.db);
    assert.deepEqual(unaware.requeued, [control.id]);

    const live = await running();
    await moveRunningJobClock(t.testDb.db, live.id, -FOUR_YEARS_S);
    const aware = await sweepOnce(t.testDb.db, { clockJumpMs: FOUR_YEARS_S * 1000 });
    assert.deepEqual([aware.requeued, aware.timedOut, aware.errored], [[], [], []]);
    assert.ok(aware.reanchored.includes(live.id));
    const after = await job(live.id);
    assert.equal(after.state, 'running');
    assert.ok(Date.parse(after.leaseExpiresAt!) > Date.now(), 'the lease has its length again');
    await runner.client.call('jobHeartbeat', { params: { id: live.id }, body: { leaseToken: live.leaseToken } });
  });

  test('a lease four years ahead (the clock went back) is brought back to its length: a dead runner\'s job is re-queued within a lease', async () => {
    const dead = await running();
    await moveRunningJobClock(t.testDb.db, dead.id, FOUR_YEARS_S);
    assert.ok(Date.parse((await job(dead.id)).leaseExpiresAt!) > Date.now() + 3 * 365 * 24 * 3600 * 1000, 'the control: the lease lies years ahead');
    // Even unaware of the jump (it happened while the server was down, say), a sweep clamps it.
    const swept = await sweepOnce(t.testDb.db);
    assert.ok(swept.reanchored.includes(dead.id));
    assert.ok(Date.parse((await job(dead.id)).leaseExpiresAt!) <= Date.now() + 120_000, 'at most one lease length ahead');
    // The runner never heartbeats again: once that lease runs out, the job goes back to the queue.
    await expireJobLease(t.testDb.db, dead.id);
    assert.deepEqual((await sweepOnce(t.testDb.db)).requeued, [dead.id]);
  });

  test('startSweeper measures the jump between two sweeps from the clocks it reads', async () => {
    const live = await running();
    const start = Date.now();
    let reads = 0;
    let secondSweepDone!: () => void;
    const done = new Promise<void>((resolve) => (secondSweepDone = resolve));
    const stop = startSweeper(t.testDb.db, {
      intervalMs: 1,
      readClock: async () => {
        reads++;
        // The jump happens between the first and the second sweep.
        if (reads === 2) await moveRunningJobClock(t.testDb.db, live.id, -FOUR_YEARS_S);
        if (reads === 3) secondSweepDone();
        return { wallMs: start + (reads >= 2 ? FOUR_YEARS_S * 1000 : 0) + reads, monoMs: reads };
      },
    });
    await done;
    await stop();
    assert.equal((await job(live.id)).state, 'running', 'the second sweep knew of the jump');
  });
});
