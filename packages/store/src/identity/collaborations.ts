import type { Role } from '@agora/core';
import type { Queryable } from '../db.ts';
import type { CollabRow } from './rows.ts';

export async function findCollaborationBySlug(db: Queryable, slug: string): Promise<CollabRow | null> {
  const [collab] = await db.query<CollabRow>('select * from collaborations where slug = $1', [slug]);
  return collab ?? null;
}

export async function membershipRole(db: Queryable, collaborationId: number, participantId: number): Promise<Role | null> {
  const [m] = await db.query<{ role: Role }>('select role from memberships where collaboration_id = $1 and participant_id = $2', [collaborationId, participantId]);
  return m?.role ?? null;
}
