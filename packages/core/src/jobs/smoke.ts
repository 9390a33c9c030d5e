import { refuse, type Decision } from '../decision.ts';
import type { Role } from '../schemas/identity.ts';
import { mayQueueJob } from './permissions.ts';

/**
 * Smoke runs (decision 0180): a free, short job that starts a submission and sends it one untimed
 * request on public data, so an agent learns its server starts before it spends a job. Whoever may
 * run the submission on a public split may smoke it; a few a day per participant (the challenge's
 * `smoke.runs_per_day`), counted over a rolling 24 hours.
 */
export interface SmokeRequest {
  role: Role;
  actorId: number;
  /** The challenge's smoke section; undefined: the challenge offers none. */
  offered: { runs_per_day: number; wall_seconds: number } | undefined;
  submission: { id: number; authorId: number; staged: boolean; invalidated: boolean; invalidatedReason: string | null; withdrawn: boolean };
  /** When this participant's smoke runs of the last 24 hours were asked for, oldest first. */
  recent: readonly Date[];
  now: Date;
}

export const SMOKE_WINDOW_HOURS = 24;

export function maySmokeRun(r: SmokeRequest): Decision {
  // Permission before state (issue 12): someone who may not run it learns nothing more.
  const queue = mayQueueJob({ role: r.role, actorId: r.actorId, split: 'public', visibility: 'public', submission: r.submission, repeats: 1, challengeRepeats: 1 });
  if (queue) return queue;
  if (!r.offered || r.offered.runs_per_day === 0) return refuse('unprocessable', 'this challenge offers no smoke runs (challenge.yaml has no smoke section): queue a scored job instead');
  const limit = r.offered.runs_per_day;
  if (r.recent.length >= limit) {
    const frees = new Date(r.recent[r.recent.length - limit]!.getTime() + SMOKE_WINDOW_HOURS * 3600_000);
    const retryAfterSeconds = Math.max(1, Math.ceil((frees.getTime() - r.now.getTime()) / 1000));
    return refuse('rate_limited', `smoke runs used up: ${r.recent.length} of ${limit} in the last ${SMOKE_WINDOW_HOURS} hours; the next is allowed at ${frees.toISOString()} (in ${retryAfterSeconds} s). Smoke runs never spend job quota`, {
      scope: 'smoke', limit, used: r.recent.length, nextAllowedAt: frees.toISOString(), retryAfterSeconds,
    });
  }
  return null;
}
