import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgoraError } from '@agora/core';
import { AuthThrottle, FAILURES_ALLOWED, WINDOW_MS } from './auth-throttle.ts';

test('auth throttle: an address waits after FAILURES_ALLOWED failures in the window, and only until the oldest leaves it', () => {
  let now = 1_000_000;
  const th = new AuthThrottle(() => now);
  for (let i = 0; i < FAILURES_ALLOWED; i++) {
    th.check('a');
    th.failed('a');
    now += 1000;
  }
  assert.throws(() => th.check('a'), (e: unknown) => e instanceof AgoraError && e.code === 'rate_limited' && (e.details as { retryAfterSeconds: number }).retryAfterSeconds === (WINDOW_MS - FAILURES_ALLOWED * 1000) / 1000);
  th.check('b');
  now += WINDOW_MS - FAILURES_ALLOWED * 1000 + 1;
  th.check('a');
});
