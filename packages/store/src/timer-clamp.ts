/**
 * Timers that survive wall-clock jumps. PGlite runs PostgreSQL's timeouts on setTimeout
 * (emscripten's setitimer) with delays PostgreSQL computes from the wall clock. After the clock
 * jumps back, a timeout armed before the jump lies years ahead; Node turns a delay past 2^31-1 ms
 * into 1 ms with a TimeoutOverflowWarning, PostgreSQL finds the timeout not yet due and arms it
 * again, and the process spins: 680,000 warnings (84 MB of log) after a 4-year jump, seen under
 * `agora up`. Native PostgreSQL's setitimer takes such a delay as it is, so clamping it to the
 * largest delay Node keeps (24.8 days; the timer re-arms itself then) is the native behaviour.
 */
import { promisify } from 'node:util';

/** The longest delay setTimeout keeps (2^31-1 ms, about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay setTimeout keeps as it is: longer ones become MAX_TIMER_MS instead of 1 ms. */
export function clampDelay(ms: unknown): unknown {
  return typeof ms === 'number' && ms > MAX_TIMER_MS ? MAX_TIMER_MS : ms;
}

let installed = false;

/** Clamp the delays of the global setTimeout and setInterval for this process (idempotent). */
export function clampTimers(): void {
  if (installed) return;
  installed = true;
  for (const name of ['setTimeout', 'setInterval'] as const) {
    const original = globalThis[name] as (cb: (...a: unknown[]) => void, ms?: unknown, ...args: unknown[]) => unknown;
    const clamped = function (this: unknown, cb: (...a: unknown[]) => void, ms?: unknown, ...args: unknown[]) {
      return original.call(this, cb, clampDelay(ms), ...args);
    };
    const custom = (original as unknown as Record<symbol, unknown>)[promisify.custom];
    if (custom) Object.defineProperty(clamped, promisify.custom, { value: custom });
    (globalThis as Record<string, unknown>)[name] = clamped;
  }
}
