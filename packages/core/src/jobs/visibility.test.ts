import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobResult, JobState } from '../schemas/jobs.ts';
import { attemptReasonSeenBy, coarse, poolSeenBy, scoreSummaryForEveryone, mayReadLogs, PRIVATE_RUNNER_TEXT, reasonSeenBy, resultSeenBy, runnerTextForEveryone, type Audience } from './visibility.ts';

const pub = { visibility: 'public' as const };
const priv = { visibility: 'private' as const };
const SECRET = 'crashed on SECRET private prompt 3';
const AUDIENCES: Audience[] = [null, 'observer', 'participant', 'organizer'];

test('reasonSeenBy: a runner\'s reason about a private job reaches organizers only; platform reasons and public jobs stay', () => {
  const cases: Array<[typeof pub | typeof priv, JobState, Audience, boolean]> = [];
  for (const state of ['succeeded', 'guardrail_failed', 'failed', 'timed_out'] as JobState[]) {
    for (const a of AUDIENCES) cases.push([priv, state, a, a === 'organizer'], [pub, state, a, true]);
  }
  // The platform's own reasons (queue, lease, cancel) never quote private data.
  for (const state of ['queued', 'running', 'errored', 'cancelled'] as JobState[]) for (const a of AUDIENCES) cases.push([priv, state, a, true]);
  for (const [job, state, audience, shown] of cases) {
    const seen = reasonSeenBy(audience, job, state, SECRET);
    assert.equal(seen === SECRET, shown, `${job.visibility} ${state} to ${audience ?? 'everyone'}`);
    if (!shown) assert.match(seen!, new RegExp(`^${state} on the private split; .*organizers only`));
  }
  assert.equal(reasonSeenBy(null, priv, 'failed', null), null);
});

test('attemptReasonSeenBy: errored and lost-lease attempts carry the platform\'s words; the others are redacted like a failure', () => {
  const cases: Array<[string | null, Audience, boolean]> = [
    ['errored', 'participant', true], ['lease_lost', null, true], ['failed', 'participant', false], ['succeeded', null, false],
    ['timed_out', 'observer', false], [null, 'participant', false], ['failed', 'organizer', true],
  ];
  for (const [outcome, audience, shown] of cases)
    assert.equal(attemptReasonSeenBy(audience, priv, outcome, SECRET) === SECRET, shown, `${outcome} to ${audience ?? 'everyone'}`);
  assert.equal(attemptReasonSeenBy('participant', pub, 'failed', SECRET), SECRET);
});

test('runnerTextForEveryone: quoted runner text of a private job is a stand-in', () => {
  assert.equal(runnerTextForEveryone(priv, SECRET), PRIVATE_RUNNER_TEXT);
  assert.equal(runnerTextForEveryone(pub, SECRET), SECRET);
  assert.equal(runnerTextForEveryone(priv, null), null);
});

test('resultSeenBy and mayReadLogs: details and logs of private jobs for organizers only', () => {
  const result: JobResult = {
    metric: { name: 'tps', unit: 'tokens/s', direction: 'maximize', samples: [1, 2] },
    guardrails: [{ name: 'ppl', value: 3, threshold: 4, op: '<=', passed: true, detail: { prompt: SECRET } }],
    guardrailsPassed: true,
    samples: [{ prompt: SECRET }],
    extra: { note: SECRET },
    harness: { name: 'h', version: '1' },
    hardwareClass: 'cpu:x',
    environment: {},
    createdAt: '2026-01-01T00:00:00.000Z',
  };
  for (const a of AUDIENCES) {
    const seen = resultSeenBy(a, priv, result);
    assert.equal(JSON.stringify(seen).includes('SECRET'), a === 'organizer', `private result to ${a ?? 'everyone'}`);
    assert.deepEqual(resultSeenBy(a, pub, result), result);
    assert.equal(mayReadLogs(a, priv) === null, a === 'organizer');
    assert.equal(mayReadLogs(a, pub), null);
  }
  const hidden = resultSeenBy('participant', priv, result);
  assert.deepEqual([hidden.samples, hidden.extra, hidden.guardrails[0]], [null, {}, { name: 'ppl', threshold: 4, op: '<=', passed: true }], 'a verdict, not the value');
  assert.deepEqual(hidden.metric.samples, [1.5], 'one coarsened mean: no samples, no count');
});

test('private figures: three significant digits, no spread, no counts', () => {
  assert.deepEqual([coarse(123.456789), coarse(0.000123456), coarse(98765), coarse(1.23e-20)], [123, 0.000123, 98800, 1.23e-20]);
  const pool = { mean: 105.123456, stdev: 3.21, ciLow: 100.1, ciHigh: 110.2, n: 6 };
  assert.deepEqual(poolSeenBy('participant', priv, pool), { mean: 105, stdev: null, ciLow: null, ciHigh: null, n: 6 });
  assert.deepEqual(poolSeenBy('organizer', priv, pool), pool);
  assert.deepEqual(poolSeenBy(null, pub, pool), pool);
  assert.deepEqual(scoreSummaryForEveryone(priv, [1.23456, 1.23456]), { mean: 1.23 });
  assert.deepEqual(scoreSummaryForEveryone(pub, [1, 2]), { mean: 1.5, n: 2 });
});
