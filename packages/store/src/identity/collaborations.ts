import type { Role } from '@agora/core';
import type { Queryable } from '../db.ts';
import type { CollabRow } from './rows.ts';

export async function findCollaborationBySlug(db: Queryable, slug: string): Promise<CollabRow | null> {
  const [collab] = await db.query<CollabRow>('select * from collaborations where slug = $1', [slug]);
  return collab ?? null;
}

/** The new collaboration, or null when the slug is taken. */
export async function insertCollaboration(
  tx: Queryable,
  c: { slug: string; title: string; challenge: unknown; challengeDir: string; openRegistration: boolean; anonymousObservers: boolean; createdBy: number },
): Promise<CollabRow | null> {
  const [row] = await tx.query<CollabRow>(
    `insert into collaborations (slug, title, challenge, challenge_dir, open_registration, anonymous_observers, created_by)
     values ($1, $2, $3, $4, $5, $6, $7) on conflict (slug) do nothing returning *`,
    [c.slug, c.title, JSON.stringify(c.challenge), c.challengeDir, c.openRegistration, c.anonymousObservers, c.createdBy],
  );
  return row ?? null;
}

export async function updateCollaborationSettings(
  tx: Queryable,
  id: number,
  s: { openRegistration: boolean | null; anonymousObservers: boolean | null },
): Promise<CollabRow> {
  const [c] = await tx.query<CollabRow>(
    `update collaborations set open_registration = coalesce($2, open_registration), anonymous_observers = coalesce($3, anonymous_observers)
     where id = $1 returning *`,
    [id, s.openRegistration, s.anonymousObservers],
  );
  return c!;
}

/** Collaborations a caller may see (open to observers, a member of, or all for an admin), by id after `afterId`. */
export async function listVisibleCollaborations(
  db: Queryable,
  viewer: { participantId: number | null; isAdmin: boolean },
  afterId: number,
  limit: number,
): Promise<Array<CollabRow & { role: Role | null }>> {
  return db.query<CollabRow & { role: Role | null }>(
    `select c.*, m.role from collaborations c
     left join memberships m on m.collaboration_id = c.id and m.participant_id = $1
     where (c.anonymous_observers or m.role is not null or $2) and c.id > $3 order by c.id limit $4`,
    [viewer.participantId, viewer.isAdmin, afterId, limit],
  );
}
