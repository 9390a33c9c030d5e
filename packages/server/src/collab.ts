import { AgoraError, enforce, mayActAs, mayReadCollaboration, readerRole, type Role } from '@agora/core';
import type { Queryable } from '@agora/store';
import { findCollaborationBySlug, membershipRole, type CollabRow } from '@agora/store/identity';
import type { Actor } from './auth.ts';

export type { CollabRow };

export interface CollabAccess {
  collab: CollabRow;
  /** Null for an anonymous observer. */
  role: Role | null;
  actor: Actor | null;
}

/**
 * Finds the collaboration and the caller's role in it, and refuses callers who may not read it
 * (the rule is core's mayReadCollaboration). Every operation on a collaboration starts here.
 */
export async function access(db: Queryable, slug: string, actor: Actor | null): Promise<CollabAccess> {
  const collab = await findCollaborationBySlug(db, slug);
  if (!collab) throw new AgoraError('not_found', `collaboration "${slug}" not found`);
  const facts = { slug: collab.slug, anonymousObservers: collab.anonymous_observers };
  const reader = actor ? { isAdmin: actor.isAdmin, membership: await membershipRole(db, collab.id, actor.participantId) } : null;
  enforce(mayReadCollaboration(facts, reader));
  return { collab, role: readerRole(facts, reader), actor };
}

/** Like access, but also demands at least `min` (participants write; organizers rule). */
export async function accessAs(db: Queryable, slug: string, actor: Actor | null, min: Role): Promise<CollabAccess & { actor: Actor; role: Role }> {
  const a = await access(db, slug, actor);
  enforce(mayActAs({ slug }, a.role, a.actor !== null, min));
  return a as CollabAccess & { actor: Actor; role: Role };
}

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
export const isoReq = (d: Date): string => d.toISOString();
