import { refuse, type Decision } from '../decision.ts';
import type { Role } from '../schemas/identity.ts';
import type { SchedulePhase } from '../schemas/integrity.ts';

/**
 * A challenge's schedule (challenge.yaml `schedule:`, each time optional): before `start` nothing
 * is submitted or run; from `freeze` the leaderboard shows others only what was scored before the
 * freeze; from `end` nothing new is submitted or run, every ranked entry is verified on the
 * private split and the final standings are published once, immutable.
 */
export interface Schedule {
  start?: string | undefined;
  freeze?: string | undefined;
  end?: string | undefined;
}

const at = (s: string | undefined) => (s === undefined ? null : new Date(s));

export function schedulePhase(s: Schedule | undefined, now: Date): SchedulePhase {
  const [start, freeze, end] = [at(s?.start), at(s?.freeze), at(s?.end)];
  if (start && now < start) return 'not-started';
  if (end && now >= end) return 'ended';
  if (freeze && now >= freeze) return 'frozen';
  return 'open';
}

/** Submitting and queueing jobs: participants only while the challenge runs; organizers always (verification after the end). */
export function mayWorkNow(s: Schedule | undefined, now: Date, role: Role | null, what: string): Decision {
  if (role === 'organizer') return null;
  const phase = schedulePhase(s, now);
  if (phase === 'not-started') return refuse('conflict', `${what}: the challenge starts at ${s!.start}`, { phase, start: s!.start });
  if (phase === 'ended') return refuse('conflict', `${what}: the challenge ended at ${s!.end}; the final standings are at GET .../standings`, { phase, end: s!.end });
  return null;
}

/** Results created after this moment are left off the leaderboard the caller sees; null: none are. */
export function leaderboardCutoff(s: Schedule | undefined, now: Date, role: Role | null): Date | null {
  if (role === 'organizer') return null;
  const phase = schedulePhase(s, now);
  return phase === 'frozen' || phase === 'ended' ? at(s!.freeze) : null;
}

/** The schedule's own consistency, for challenge.yaml validation: start < freeze < end where given. */
export function scheduleProblem(s: Schedule): string | null {
  const ts = (['start', 'freeze', 'end'] as const).flatMap((k) => (s[k] === undefined ? [] : [[k, Date.parse(s[k]!)] as const]));
  for (let i = 1; i < ts.length; i++)
    if (!(ts[i - 1]![1] < ts[i]![1])) return `schedule.${ts[i]![0]} must be after schedule.${ts[i - 1]![0]}`;
  return null;
}
