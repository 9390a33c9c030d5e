import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mayWriteNow, WRITE_RATE_LIMITS } from './write-rate.ts';

const now = new Date('2026-12-01T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);

test('each kind allows up to its per-minute limit, then refuses with when to retry', () => {
  for (const kind of ['page', 'apiKey', 'claim'] as const) {
    const perMinute = WRITE_RATE_LIMITS[kind][0].max;
    const under = Array.from({ length: perMinute - 1 }, (_, i) => ago(i + 1));
    assert.equal(mayWriteNow(kind, under, now), null, kind);
    const full = [...under, ago(30)];
    const d = mayWriteNow(kind, full, now);
    assert.equal(d?.code, 'rate_limited', kind);
    const details = d!.details as { retryAfterSeconds: number; limit: { max: number; seconds: number } };
    assert.deepEqual(details.limit, { max: perMinute, seconds: 60 });
    // The oldest write in the minute (30 s ago) leaves it in 30 s.
    assert.equal(details.retryAfterSeconds, 30);
  }
});

test('the hour window refuses a steady stream the minute window lets through', () => {
  const { max } = WRITE_RATE_LIMITS.apiKey[1];
  const spread = Array.from({ length: max }, (_, i) => ago(120 + i * 60));
  const d = mayWriteNow('apiKey', spread, now);
  assert.equal(d?.code, 'rate_limited');
  assert.deepEqual((d!.details as { limit: unknown }).limit, { max, seconds: 3600 });
  assert.match(d!.message, /an hour/);
  assert.equal(mayWriteNow('apiKey', spread.slice(1), now), null);
});
