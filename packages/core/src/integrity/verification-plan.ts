/**
 * Which entries the automatic verifier re-runs on the private split, and when participants learn
 * how a private run went (docs/decisions/0140). Pure: the server's verifier (server/src/verifier.ts)
 * reads the board and the verification records, asks here, and queues what is due.
 */
export type VerificationReason = 'new_leader' | 'daily_top' | 'organizer';

export interface PlanEntry {
  /** The original submission of the entry's fingerprint (what a verification runs). */
  submissionId: number;
  rank: number;
}

export interface PlanInput {
  now: Date;
  /** The challenge's verification.top_k. */
  topK: number;
  /** The ranked entries of the public board, per hardware class, best first. */
  classes: ReadonlyArray<{ hardwareClass: string; entries: readonly PlanEntry[] }>;
  /** Submissions with a verification pending or decided (not one that ended void). */
  covered: ReadonlySet<number>;
  /** Submissions with any verification at all, void ones included. */
  attempted: ReadonlySet<number>;
  /** The UTC day (YYYY-MM-DD) of the last daily run, or null before the first. */
  lastDaily: string | null;
}

export interface PlanOutput {
  due: Array<{ submissionId: number; reason: VerificationReason }>;
  /** The UTC day to record as run, when this tick is the day's daily run; null otherwise. */
  daily: string | null;
}

export const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

/**
 * Every leader (rank 1 of its class) that was never verified is due at once; once a day, the top
 * K of each class not covered yet. A verification that ended void (the platform lost the run) does
 * not count as covering: the next daily run retries it, a new leader is not re-queued in between
 * (so a broken runner cannot make the verifier loop). Each submission at most once per plan.
 */
export function verificationsDue(i: PlanInput): PlanOutput {
  const due = new Map<number, VerificationReason>();
  for (const c of i.classes)
    for (const e of c.entries) if (e.rank === 1 && !i.attempted.has(e.submissionId) && !due.has(e.submissionId)) due.set(e.submissionId, 'new_leader');
  const today = utcDay(i.now);
  const daily = i.lastDaily === null || i.lastDaily < today ? today : null;
  if (daily && i.topK > 0)
    for (const c of i.classes)
      for (const e of c.entries.slice(0, i.topK)) if (!i.covered.has(e.submissionId) && !due.has(e.submissionId)) due.set(e.submissionId, 'daily_top');
  return { due: [...due].map(([submissionId, reason]) => ({ submissionId, reason })), daily };
}

/**
 * When participants may learn that a private job ended: the next multiple of the release period
 * after it ended (docs/decisions/0087). A submission chooses how long it runs; rounding the moment
 * up to a fixed grid leaves it only the choice of grid cell.
 */
export function releaseAt(finishedAt: Date, releaseMinutes: number): Date {
  if (releaseMinutes <= 0) return finishedAt;
  const period = releaseMinutes * 60_000;
  return new Date(Math.ceil(finishedAt.getTime() / period) * period);
}

/** The last release moment at or before `now`: what participants may see of private results. */
export function releasedUpTo(now: Date, releaseMinutes: number): Date {
  if (releaseMinutes <= 0) return now;
  const period = releaseMinutes * 60_000;
  return new Date(Math.floor(now.getTime() / period) * period);
}
