import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitEstimateSeconds } from './estimate.ts';
import { fairOrder, runningLoad, type QueuedJob } from './fair-queue.ts';
import { hardwareClass } from './hardware.ts';
import { TRANSITIONS, edge, isTerminal, outcomeTransition } from './lifecycle.ts';
import { QUOTA_WINDOW_MS, quotaLimit, quotaState } from './quota.ts';

const H = 3600 * 1000;

test('quota: used, remaining, next frees at, available at', () => {
  const now = new Date('2026-05-02T12:00:00Z');
  const at = (hoursAgo: number) => new Date(now.getTime() - hoursAgo * H);
  const empty = quotaState([], 10, now);
  assert.deepEqual([empty.used, empty.remaining, empty.nextFreesAt], [0, 10, null]);
  assert.equal(empty.availableAt, now);
  // 10 charges, the oldest 23 h ago, one 25 h ago (outside the window).
  const charges = [at(25), ...Array.from({ length: 10 }, (_, i) => at(23 - i))];
  const s = quotaState(charges, 10, now);
  assert.equal(s.used, 10);
  assert.equal(s.remaining, 0);
  assert.equal(s.nextFreesAt!.toISOString(), new Date(at(23).getTime() + QUOTA_WINDOW_MS).toISOString());
  assert.equal(s.availableAt.getTime(), now.getTime() + H);
  // A lowered limit (an expired grant): 10 used against 8 needs three to leave.
  const lowered = quotaState(charges, 8, now);
  assert.equal(lowered.availableAt.getTime(), at(21).getTime() + QUOTA_WINDOW_MS);
  assert.equal(quotaLimit(10, [{ extraJobs: 5, expiresAt: at(-1) }, { extraJobs: 7, expiresAt: at(1) }], now), 15);
});

test('lifecycle: edges, terminal states, outcomes', () => {
  assert.equal(edge('claim', 'queued').to, 'running');
  assert.throws(() => edge('claim', 'succeeded'));
  assert.equal(TRANSITIONS.cancel_queued.charge, 'refund');
  assert.equal(TRANSITIONS.give_up.charge, 'refund');
  assert.equal(TRANSITIONS.fail.charge, 'keep');
  for (const e of Object.values(TRANSITIONS)) assert.ok(!isTerminal(e.from), `${e.event} leaves a terminal state`);
  const job = { attempt: 1, maxAttempts: 3, cancelRequested: false };
  assert.equal(outcomeTransition('errored', job), 'retry');
  assert.equal(outcomeTransition('succeeded', job), 'succeed');
  assert.equal(outcomeTransition('succeeded', job, false), 'reject', 'scored, but a guardrail failed');
  assert.equal(edge('reject', 'running').to, 'guardrail_failed');
  assert.ok(isTerminal('guardrail_failed'));
  assert.equal(outcomeTransition('errored', { ...job, attempt: 3 }), 'give_up');
  assert.equal(outcomeTransition('failed', job), 'fail');
  assert.equal(outcomeTransition('timed_out', job), 'time_out');
  assert.equal(outcomeTransition('failed', { ...job, cancelRequested: true }), 'cancel_running');
  assert.equal(outcomeTransition('succeeded', { ...job, cancelRequested: true }), 'succeed');
});

test('fair queue: one participant\'s ten jobs do not starve others; collaborations alternate', () => {
  const t0 = Date.parse('2026-05-02T00:00:00Z');
  let id = 0;
  const job = (collaborationId: number, ownerId: number, minute: number): QueuedJob => ({ id: ++id, collaborationId, ownerId, queuedAt: new Date(t0 + minute * 60_000) });
  const jobs = [
    ...Array.from({ length: 10 }, (_, i) => job(1, 100, i)), // ada queues ten first
    job(1, 200, 20), // bob one, later
    job(1, 300, 30), // cy one, later still
    job(2, 400, 40), // another collaboration, latest of all
  ];
  const order = fairOrder(jobs).map((j) => `${j.collaborationId}/${j.ownerId}`);
  assert.deepEqual(order.slice(0, 5), ['1/100', '2/400', '1/200', '1/300', '1/100']);
  assert.deepEqual(order.slice(5), Array(8).fill('1/100'));
  // Running jobs count: with ada already running two, bob and cy go first within collaboration 1.
  const busy = fairOrder(jobs, { byOwner: new Map([[100, 2]]), byCollaboration: new Map() }).map((j) => j.ownerId);
  assert.deepEqual(busy.slice(0, 4), [200, 400, 300, 100]);
  // Within one owner, oldest first.
  const adas = fairOrder(jobs).filter((j) => j.ownerId === 100).map((j) => j.id);
  assert.deepEqual(adas, [...adas].sort((a, b) => a - b));
});

test('wait estimate', () => {
  assert.equal(waitEstimateSeconds({ position: 1, running: 0, runners: 1, recentMeanSeconds: 100, fallbackSeconds: 600 }), 0);
  assert.equal(waitEstimateSeconds({ position: 5, running: 2, runners: 2, recentMeanSeconds: 100, fallbackSeconds: 600 }), 250);
  assert.equal(waitEstimateSeconds({ position: 2, running: 0, runners: 1, recentMeanSeconds: null, fallbackSeconds: 600 }), 600);
  assert.equal(waitEstimateSeconds({ position: 2, running: 0, runners: 0, recentMeanSeconds: 100, fallbackSeconds: 600 }), null);
});

test('hardware class: GPU model first, normalized; CPU otherwise', () => {
  assert.equal(hardwareClass({ gpu: 'NVIDIA A10G', cpu: 'AMD EPYC 7R32' }), 'gpu:nvidia a10g');
  assert.equal(hardwareClass({ gpu: '  NVIDIA  A10G ', cpu: 'x' }), 'gpu:nvidia a10g');
  assert.equal(hardwareClass({ cpu: 'Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz' }), 'cpu:intel xeon platinum 8375c');
  assert.equal(hardwareClass({ gpu: null, cpu: 'AMD EPYC 7R32' }), 'cpu:amd epyc 7r32');
  assert.equal(hardwareClass({}), 'unknown');
});

test('runningLoad: running jobs counted per owner and per collaboration, the fair queue\'s second input', () => {
  const load = runningLoad([{ ownerId: 1, collaborationId: 10 }, { ownerId: 1, collaborationId: 10 }, { ownerId: 2, collaborationId: 11 }]);
  assert.deepEqual([...load.byOwner], [[1, 2], [2, 1]]);
  assert.deepEqual([...load.byCollaboration], [[10, 2], [11, 1]]);
});
