import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkPostRate } from './rate-limit.ts';

const now = new Date('2026-01-01T12:00:00Z');
const ago = (s: number) => new Date(now.getTime() - s * 1000);

test('allowed under both limits', () => {
  assert.equal(checkPostRate([], now).nextAllowedAt, null);
  assert.equal(checkPostRate([ago(1), ago(2), ago(3), ago(4)], now).nextAllowedAt, null);
});

test('the sixth post in a minute waits until the oldest of the last five is a minute old', () => {
  const d = checkPostRate([ago(50), ago(10), ago(40), ago(30), ago(20)], now);
  assert.deepEqual(d.nextAllowedAt, new Date(now.getTime() + 10_000));
  assert.equal(d.window?.seconds, 60);
});

test('posts older than a minute only count toward the hour', () => {
  const recent = Array.from({ length: 29 }, (_, i) => ago(120 + i * 60));
  assert.equal(checkPostRate(recent, now).nextAllowedAt, null);
  const full = [...recent, ago(61)];
  const d = checkPostRate(full, now);
  assert.equal(d.window?.seconds, 3600);
  // The 30th newest is the oldest: 120 + 28*60 = 1800 s ago, so it frees at +1800 s.
  assert.deepEqual(d.nextAllowedAt, new Date(now.getTime() + 1800_000));
});

test('when both windows refuse, the later moment wins', () => {
  const recent = [...Array.from({ length: 25 }, (_, i) => ago(300 + i)), ago(5), ago(4), ago(3), ago(2), ago(1)];
  const d = checkPostRate(recent, now);
  assert.equal(d.window?.seconds, 3600);
  assert.ok(d.nextAllowedAt!.getTime() > now.getTime() + 60_000);
});
