/**
 * Rolling-window quota arithmetic: a participant may start `limit` jobs in any window of
 * `windowMs` (24 h). A charge counts from its time until it leaves the window or is refunded.
 */
export const QUOTA_WINDOW_MS = 24 * 3600 * 1000;

export interface QuotaState {
  limit: number;
  used: number;
  remaining: number;
  /** When the oldest live charge leaves the window; null when nothing is charged. */
  nextFreesAt: Date | null;
  /** When at least one job can be started: now if remaining > 0. */
  availableAt: Date;
}

/** `charges`: the times of the live (unrefunded) charges; any order, old ones are ignored. */
export function quotaState(charges: readonly Date[], limit: number, now: Date, windowMs = QUOTA_WINDOW_MS): QuotaState {
  const since = now.getTime() - windowMs;
  const live = charges.map((d) => d.getTime()).filter((t) => t > since).sort((a, b) => a - b);
  const used = live.length;
  const remaining = Math.max(0, limit - used);
  const nextFreesAt = used ? new Date(live[0]! + windowMs) : null;
  // With used ≥ limit, a slot opens when used - limit + 1 of the oldest charges have left.
  const availableAt = remaining > 0 ? now : new Date(live[used - limit]! + windowMs);
  return { limit, used, remaining, nextFreesAt, availableAt };
}

/** The limit in force: the challenge's jobs_per_day plus active organizer grants. */
export const quotaLimit = (base: number, grants: readonly { extraJobs: number; expiresAt: Date }[], now: Date) =>
  base + grants.filter((g) => g.expiresAt.getTime() > now.getTime()).reduce((s, g) => s + g.extraJobs, 0);
