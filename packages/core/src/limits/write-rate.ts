import { checkPostRate, type RateWindow } from '../board/rate-limit.ts';
import { refuse, type Decision } from '../decision.ts';

/**
 * Writes a flood would hurt (issue 12: one participant made 40 pages, 40 submissions and 40 API
 * keys in one burst each), limited per participant the way board posts and submissions are: a
 * sliding minute and hour, counted in the writing transaction under a per-participant lock, so a
 * burst sent at once cannot pass together. Limits freed by the caller's own action (unfinished
 * uploads, active claims, open flags) are bounds on what is held, not rates, and live with their rule.
 */
export const WRITE_RATE_LIMITS = {
  /** Page creations, edits and reverts (each writes a revision that is kept forever). */
  page: [{ max: 30, seconds: 60 }, { max: 300, seconds: 3600 }],
  /** API keys issued (rotations); a participant needs a few, never dozens. */
  apiKey: [{ max: 5, seconds: 60 }, { max: 20, seconds: 3600 }],
  /** Work claims made (each is an event every digest shows); five may be active at once. */
  claim: [{ max: 10, seconds: 60 }, { max: 60, seconds: 3600 }],
} as const satisfies Record<string, readonly RateWindow[]>;

export type WriteKind = keyof typeof WRITE_RATE_LIMITS;

const nouns: Record<WriteKind, string> = { page: 'page writes', apiKey: 'new API keys', claim: 'claims' };

const per = (seconds: number) => (seconds === 60 ? 'a minute' : seconds === 3600 ? 'an hour' : `${seconds} seconds`);

/**
 * Whether one more write of this kind fits, given the times of the participant's recent ones and
 * the database's clock: null, or 429 rate_limited with when to retry (the server sends it as Retry-After).
 */
export function mayWriteNow(kind: WriteKind, recent: readonly Date[], now: Date, limits: readonly RateWindow[] = WRITE_RATE_LIMITS[kind]): Decision {
  const d = checkPostRate(recent, now, limits);
  if (!d.nextAllowedAt) return null;
  const retryAfterSeconds = Math.max(1, Math.ceil((d.nextAllowedAt.getTime() - now.getTime()) / 1000));
  return refuse(
    'rate_limited',
    `too many ${nouns[kind]}: at most ${d.window!.max} ${per(d.window!.seconds)}; the next is allowed at ${d.nextAllowedAt.toISOString()} (in ${retryAfterSeconds} s)`,
    { nextAllowedAt: d.nextAllowedAt.toISOString(), retryAfterSeconds, limit: { max: d.window!.max, seconds: d.window!.seconds } },
  );
}
