// How a job is described to people, in one wording everywhere (CLI, job logs, dashboard): whose
// submission it scores, who paid, and which try it is. A newcomer met three wordings of the same
// fact and `attempt: 1 of 3` next to `3 repeats`; see docs/decisions/0118-cli-newcomer-wording.md.

/**
 * "@ada's submission, sponsored by @bob"; "..., on @ada's own quota"; "..., uncharged".
 * Who queued it is added only when that is someone else than who paid (an organizer's re-run).
 */
export function jobPeople(p: { originator: string; sponsor: string | null; requestedBy: string }): string {
  const paid = p.sponsor === null ? 'uncharged' : p.sponsor === p.originator ? `on @${p.sponsor}'s own quota` : `sponsored by @${p.sponsor}`;
  const queued = p.requestedBy !== (p.sponsor ?? p.originator) ? `, queued by @${p.requestedBy}` : '';
  return `@${p.originator}'s submission, ${paid}${queued}`;
}

/**
 * "try 1 of at most 3": tries are the platform's own retries after an infrastructure failure,
 * never the measurement repeats a job makes on each try.
 */
export const jobTry = (attempt: number, maxAttempts: number) =>
  attempt < 1 ? `not tried yet (at most ${maxAttempts} tries)` : `try ${attempt} of at most ${maxAttempts}`;

/** "3 measured repeats": how many times one try measures the submission. */
export const jobRepeats = (repeats: number) => `${repeats} measured ${repeats === 1 ? 'repeat' : 'repeats'}`;
