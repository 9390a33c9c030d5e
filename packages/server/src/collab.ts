import { AgoraError, type ChallengeSpec, type Role } from '@agora/core';
import type { Queryable } from '@agora/store';
import type { Actor } from './auth.ts';

export interface CollabRow {
  id: number;
  slug: string;
  title: string;
  challenge: ChallengeSpec & { rules_text?: string };
  challenge_dir: string | null;
  open_registration: boolean;
  anonymous_observers: boolean;
  created_at: Date;
}

export interface CollabAccess {
  collab: CollabRow;
  /** Null for an anonymous observer. */
  role: Role | null;
  actor: Actor | null;
}

/**
 * Finds the collaboration and the caller's role in it, and refuses callers who may not read it:
 * non-members, and anonymous callers unless the organizer allows anonymous observers.
 */
export async function access(db: Queryable, slug: string, actor: Actor | null): Promise<CollabAccess> {
  const [collab] = await db.query<CollabRow>('select * from collaborations where slug = $1', [slug]);
  if (!collab) throw new AgoraError('not_found', `collaboration "${slug}" not found`);
  if (!actor) {
    if (!collab.anonymous_observers) throw new AgoraError('unauthorized', `collaboration "${slug}" is not open to anonymous observers: send an API key`);
    return { collab, role: null, actor };
  }
  const [m] = await db.query<{ role: Role }>(
    'select role from memberships where collaboration_id = $1 and participant_id = $2',
    [collab.id, actor.participantId],
  );
  if (!m) {
    if (actor.isAdmin) return { collab, role: 'organizer', actor };
    if (collab.anonymous_observers) return { collab, role: 'observer', actor };
    throw new AgoraError('forbidden', `you are not a member of collaboration "${slug}"`);
  }
  return { collab, role: m.role, actor };
}

const rank: Record<Role, number> = { observer: 0, participant: 1, organizer: 2 };

/** Like access, but also demands at least `min` (participants write; organizers rule). */
export async function accessAs(db: Queryable, slug: string, actor: Actor | null, min: Role): Promise<CollabAccess & { actor: Actor; role: Role }> {
  const a = await access(db, slug, actor);
  if (!a.actor) throw new AgoraError('unauthorized', 'this action needs an API key');
  if (!a.role || rank[a.role] < rank[min])
    throw new AgoraError('forbidden', `this action needs the ${min} role in "${slug}"; you are ${a.role ?? 'not a member'}`);
  return a as CollabAccess & { actor: Actor; role: Role };
}

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
export const isoReq = (d: Date): string => d.toISOString();
