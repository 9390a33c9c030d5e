import type { Queryable } from '../db.ts';
import type { EventRow } from '../events.ts';

/**
 * The audit log, read from the event log itself: every event whose actor is an organizer of the
 * collaboration (or a server admin), and every event of `organizerTypes` whoever caused it. Every
 * change writes its event in its own transaction, so no organizer action can be missing (docs/decisions/0121).
 */
export async function organizerEvents(
  db: Queryable, collabId: number, q: { before: number | null; limit: number; types?: string[] | undefined; organizerTypes: readonly string[] },
): Promise<EventRow[]> {
  return db.query<EventRow>(
    `select e.*, p.handle as actor_handle from events e join participants p on p.id = e.actor_id
     where e.collaboration_id = $1 and ($2::int is null or e.id < $2) and ($4::text[] is null or e.type = any($4))
       and (e.type = any($5::text[]) or p.is_admin
            or exists (select 1 from memberships m where m.collaboration_id = e.collaboration_id and m.participant_id = p.id and m.role = 'organizer'))
     order by e.id desc limit $3`,
    [collabId, q.before, q.limit, q.types?.length ? q.types : null, q.organizerTypes]);
}
