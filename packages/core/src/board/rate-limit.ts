/**
 * Post rate limits, as in the reference event: at most 5 posts a minute and 30 an hour per
 * participant in a collaboration. Constants for now; a challenge may set its own later.
 */
export interface RateWindow {
  max: number;
  seconds: number;
}

export const POST_RATE_LIMITS: readonly RateWindow[] = [
  { max: 5, seconds: 60 },
  { max: 30, seconds: 3600 },
];

export interface RateDecision {
  /** Null when a post is allowed now; otherwise the earliest moment the next post is. */
  nextAllowedAt: Date | null;
  /** The window that refused, for the message. */
  window: RateWindow | null;
}

/**
 * Given the creation times of the participant's recent posts (any order; only those inside the
 * longest window matter) and the current time, decides whether one more post fits every window.
 */
export function checkPostRate(recent: readonly Date[], now: Date, limits: readonly RateWindow[] = POST_RATE_LIMITS): RateDecision {
  const times = recent.map((d) => d.getTime()).sort((a, b) => b - a); // newest first
  let next: number | null = null;
  let refusing: RateWindow | null = null;
  for (const w of limits) {
    const from = now.getTime() - w.seconds * 1000;
    const inWindow = times.filter((t) => t > from);
    if (inWindow.length < w.max) continue;
    // The window frees a slot when the max-th newest post in it ages out.
    const frees = inWindow[w.max - 1]! + w.seconds * 1000;
    if (next === null || frees > next) {
      next = frees;
      refusing = w;
    }
  }
  return { nextAllowedAt: next === null ? null : new Date(next), window: refusing };
}
