import { AgoraError } from '@agora/core';

/** Failed key checks one client address may make in WINDOW_MS before it is made to wait. */
export const FAILURES_ALLOWED = 10;
export const WINDOW_MS = 60_000;

/**
 * Slows down guessing of API keys and runner tokens: after FAILURES_ALLOWED failed checks from one
 * address within WINDOW_MS, every request from it that carries a key is refused (429
 * `rate_limited`, Retry-After) until the oldest failure leaves the window. A correct key is refused
 * too while the address waits, so the answer tells a guesser nothing. In memory, per process: a
 * restart forgets, which costs a guesser nothing they could use (keys hold 128 random bits).
 */
export class AuthThrottle {
  private readonly failures = new Map<string, number[]>();
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Throws rate_limited while `address` is waiting. */
  check(address: string): void {
    const recent = this.recent(address);
    if (recent.length < FAILURES_ALLOWED) return;
    const retryAfterSeconds = Math.max(1, Math.ceil((recent[0]! + WINDOW_MS - this.now()) / 1000));
    throw new AgoraError('rate_limited', `too many failed API keys from this address: wait ${retryAfterSeconds} s`, { retryAfterSeconds });
  }

  failed(address: string): void {
    const recent = this.recent(address);
    recent.push(this.now());
    this.failures.set(address, recent.slice(-FAILURES_ALLOWED));
    // Bounded memory under a spray from many addresses: forget the oldest entries.
    if (this.failures.size > 100_000) this.failures.delete(this.failures.keys().next().value!);
  }

  private recent(address: string): number[] {
    const from = this.now() - WINDOW_MS;
    const kept = (this.failures.get(address) ?? []).filter((t) => t > from);
    if (kept.length) this.failures.set(address, kept);
    else this.failures.delete(address);
    return kept;
  }
}
