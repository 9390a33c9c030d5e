import { refuse, type Decision } from '../decision.ts';
import { CLAIM_MAX_ACTIVE } from '../schemas/claims.ts';
import type { Role } from '../schemas/identity.ts';

/** Participants and organizers claim work; observers only read. */
export function mayClaim(role: Role, activeClaims: number): Decision {
  if (role === 'observer') return refuse('forbidden', 'observers cannot claim work: ask an organizer for the participant role');
  if (activeClaims >= CLAIM_MAX_ACTIVE)
    return refuse('conflict', `you hold ${activeClaims} active claims, the most at once; release one (claims release ID) or let one expire`, { active: activeClaims, max: CLAIM_MAX_ACTIVE });
  return null;
}

/** A claim is released by its author, or by an organizer (a stale claim blocking others). */
export function mayReleaseClaim(claim: { authorId: number; releasedAt: Date | null; expiresAt: Date }, actor: { participantId: number; role: Role }, now: Date): Decision {
  if (claim.authorId !== actor.participantId && actor.role !== 'organizer') return refuse('forbidden', 'only the author of a claim, or an organizer, may release it');
  if (claim.releasedAt || claim.expiresAt <= now) return refuse('conflict', 'this claim has already ended', { releasedAt: claim.releasedAt, expiresAt: claim.expiresAt });
  return null;
}
