import { refuse, type Decision } from '../decision.ts';
import type { Role } from '../schemas/identity.ts';

/**
 * Who may read a collaboration, and as what. Members read with their role; admins who are not
 * members read as organizers; other callers read as observers where the organizers allow anonymous
 * observers, and not at all elsewhere.
 */
export interface Reader {
  isAdmin: boolean;
  /** The caller's role from their membership, null when not a member. */
  membership: Role | null;
}

export interface CollaborationFacts {
  slug: string;
  anonymousObservers: boolean;
}

export function mayReadCollaboration(collab: CollaborationFacts, reader: Reader | null): Decision {
  if (!reader) {
    if (!collab.anonymousObservers) return refuse('unauthorized', `collaboration "${collab.slug}" is not open to anonymous observers: send an API key`);
    return null;
  }
  if (!reader.membership && !reader.isAdmin && !collab.anonymousObservers) return refuse('forbidden', `you are not a member of collaboration "${collab.slug}"`);
  return null;
}

/** The role a caller reads with, once mayReadCollaboration allowed them; null for an anonymous one. */
export function readerRole(collab: CollaborationFacts, reader: Reader | null): Role | null {
  if (!reader) return null;
  if (reader.membership) return reader.membership;
  return reader.isAdmin ? 'organizer' : 'observer';
}

const rank: Record<Role, number> = { observer: 0, participant: 1, organizer: 2 };

/** Participants write; organizers rule. `role` null: an anonymous caller or a non-member. */
export function mayActAs(collab: Pick<CollaborationFacts, 'slug'>, role: Role | null, authenticated: boolean, min: Role): Decision {
  if (!authenticated) return refuse('unauthorized', 'this action needs an API key');
  if (!role || rank[role] < rank[min]) return refuse('forbidden', `this action needs the ${min} role in "${collab.slug}"; you are ${role ?? 'not a member'}`);
  return null;
}
