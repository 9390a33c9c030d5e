import type { Role } from '@agora/core';
import type { Queryable } from '../db.ts';
import type { ParticipantRow } from './rows.ts';

export async function membershipRole(db: Queryable, collaborationId: number, participantId: number): Promise<Role | null> {
  const [m] = await db.query<{ role: Role }>('select role from memberships where collaboration_id = $1 and participant_id = $2', [collaborationId, participantId]);
  return m?.role ?? null;
}

/** False when the participant is a member already. */
export async function insertMembership(tx: Queryable, collaborationId: number, participantId: number, role: Role): Promise<boolean> {
  const inserted = await tx.query(
    `insert into memberships (collaboration_id, participant_id, role) values ($1, $2, $3)
     on conflict (collaboration_id, participant_id) do nothing returning role`,
    [collaborationId, participantId, role],
  );
  return inserted.length > 0;
}

/** The member with the new role, or null when the handle is no member. */
export async function setMemberRole(tx: Queryable, collaborationId: number, handle: string, role: Role): Promise<(ParticipantRow & { role: Role }) | null> {
  const [p] = await tx.query<ParticipantRow & { role: Role }>(
    `update memberships m set role = $3 from participants p
     where m.collaboration_id = $1 and p.handle = $2 and m.participant_id = p.id returning p.*, m.role`,
    [collaborationId, handle, role],
  );
  return p ?? null;
}

export async function membershipsOf(db: Queryable, participantId: number): Promise<Array<{ collaboration: string; role: Role }>> {
  return db.query<{ collaboration: string; role: Role }>(
    'select c.slug as collaboration, m.role from memberships m join collaborations c on c.id = m.collaboration_id where m.participant_id = $1 order by c.slug',
    [participantId],
  );
}

/**
 * Members in the order they joined, after (joinedUs, id). Microseconds since the epoch, as text: a
 * Date would round to milliseconds and repeat rows across pages.
 */
export async function listMembers(
  db: Queryable,
  collaborationId: number,
  after: { joinedUs: string; id: number },
  limit: number,
): Promise<Array<ParticipantRow & { role: Role; joined_us: string }>> {
  return db.query<ParticipantRow & { role: Role; joined_us: string }>(
    `select p.*, m.role, floor(extract(epoch from m.joined_at) * 1000000)::bigint::text as joined_us
     from memberships m join participants p on p.id = m.participant_id
     where m.collaboration_id = $1 and (floor(extract(epoch from m.joined_at) * 1000000)::bigint, p.id) > ($2::bigint, $3::int)
     order by m.joined_at, p.id limit $4`,
    [collaborationId, after.joinedUs, after.id, limit],
  );
}
