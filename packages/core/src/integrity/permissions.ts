import { refuse, type Decision } from '../decision.ts';
import type { CreateRulingBody, FlagState } from '../schemas/integrity.ts';
import type { Role } from '../schemas/identity.ts';

/**
 * Who may flag, rule and withdraw, as pure decisions (core/src/decision.ts): null allows, a
 * Refusal says why not. The operations load the facts and enforce these.
 */

/** Open flags one participant may have at once: a flood of flags is a denial of the organizers' time. */
export const OPEN_FLAGS_PER_REPORTER_MAX = 20;

export interface FlagFacts {
  role: Role | null;
  reporterId: number;
  /** The author of the flagged submission or post. */
  targetAuthorId: number;
  targetKind: 'submission' | 'post';
  /** Whether this reporter already has an open flag on this target. */
  alreadyOpen: boolean;
  openByReporter: number;
}

export function mayFlag(f: FlagFacts): Decision {
  if (f.role !== 'participant' && f.role !== 'organizer')
    return refuse('forbidden', `flagging needs the participant role; you are ${f.role ?? 'not a member'}`);
  if (f.targetAuthorId === f.reporterId)
    return refuse('conflict', f.targetKind === 'submission'
      ? 'this is your own submission: withdraw it (agora withdraw ID) instead of flagging it'
      : 'this is your own post: edit it instead of flagging it');
  if (f.alreadyOpen) return refuse('conflict', 'you already have an open flag on this; organizers will rule on it');
  if (f.openByReporter >= OPEN_FLAGS_PER_REPORTER_MAX)
    return refuse('rate_limited', `you have ${f.openByReporter} open flags; at most ${OPEN_FLAGS_PER_REPORTER_MAX} may wait for a ruling at once`, { max: OPEN_FLAGS_PER_REPORTER_MAX });
  return null;
}

/** Who may read a flag: organizers all of them, a reporter their own (evidence can describe an exploit). */
export const mayReadFlag = (role: Role | null, viewerId: number | null, reporterId: number) =>
  role === 'organizer' || (viewerId !== null && viewerId === reporterId);

export interface RulingFacts {
  role: Role | null;
  /** The state of every flag named in the body that exists in this collaboration. */
  flagStates: ReadonlyMap<number, FlagState>;
  /** Submission ids named in the body that exist in this collaboration. */
  existingSubmissions: ReadonlySet<number>;
  /** Whether `revokes` names a ruling of this collaboration. */
  revokedExists: boolean;
}

/** Whether a ruling may be made as given: organizers only, each kind with the effects it may have. */
export function mayRule(b: CreateRulingBody, f: RulingFacts): Decision {
  if (f.role !== 'organizer') return refuse('forbidden', `rulings are the organizers' word; you are ${f.role ?? 'not a member'}`);
  const bad = (message: string, path: string) => refuse('validation_failed', message, { issues: [{ path: `body.${path}`, message }] });
  if (b.kind !== 'uphold' && b.invalidate) return bad('only an upheld ruling invalidates', 'invalidate');
  if (b.kind !== 'reinstate' && (b.reinstate || b.revokes !== undefined)) return bad('only a reinstating ruling reinstates or revokes', 'reinstate');
  if (b.invalidate?.lever && !b.invalidate.submissions.length) return bad('a lever reaches descendants of named submissions: name at least one', 'invalidate.submissions');
  if (b.reinstate?.lever && !b.reinstate.submissions.length) return bad('a lever reaches descendants of named submissions: name at least one', 'reinstate.submissions');
  if (b.kind === 'dismiss' && !b.flags.length) return bad('a dismissal dismisses flags: name at least one', 'flags');
  if (b.kind === 'uphold' && !b.flags.length && !b.invalidate?.submissions.length)
    return bad('an upheld ruling upholds flags or invalidates submissions: give flags or invalidate.submissions', 'flags');
  if (b.kind === 'reinstate' && !b.reinstate?.submissions.length && b.revokes === undefined)
    return bad('a reinstating ruling names submissions (reinstate.submissions) or the ruling it revokes (revokes)', 'reinstate');
  const missingFlags = b.flags.filter((id) => !f.flagStates.has(id));
  if (missingFlags.length) return refuse('not_found', `no such flag in this collaboration: ${missingFlags.map((id) => `#f${id}`).join(', ')}`, { flags: missingFlags });
  const closed = b.flags.filter((id) => f.flagStates.get(id) !== 'open');
  if (closed.length) return refuse('conflict', `already ruled on: ${closed.map((id) => `#f${id} (${f.flagStates.get(id)})`).join(', ')}`, { flags: closed });
  const named = [...(b.invalidate?.submissions ?? []), ...(b.reinstate?.submissions ?? [])];
  const missing = named.filter((id) => !f.existingSubmissions.has(id));
  if (missing.length) return refuse('not_found', `no such submission in this collaboration: ${missing.map((id) => `#s${id}`).join(', ')}`, { submissions: missing });
  if (b.revokes !== undefined && !f.revokedExists) return refuse('not_found', `no ruling ${b.revokes} in this collaboration`, { ruling: b.revokes });
  return null;
}

export interface WithdrawFacts {
  role: Role | null;
  actorId: number;
  authorId: number;
  withdrawn: boolean;
}

/** Only the author withdraws, once; an invalid submission may still be withdrawn (it stays out either way). */
export function mayWithdraw(f: WithdrawFacts): Decision {
  if (f.role !== 'participant' && f.role !== 'organizer') return refuse('forbidden', `withdrawing needs the participant role; you are ${f.role ?? 'not a member'}`);
  if (f.actorId !== f.authorId) return refuse('forbidden', 'only its author may withdraw a submission (flag it if something is wrong with it)');
  if (f.withdrawn) return refuse('conflict', 'this submission is already withdrawn');
  return null;
}
