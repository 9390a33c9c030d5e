import { checkEventPayload, type EventPayload, type EventType } from '@agora/core';
import type { Queryable } from './db.ts';

export const EVENTS_CHANNEL = 'agora_events';

/**
 * An event to append, typed by its `type`: a literal type takes exactly its payload (the table
 * in core's schemas/event.ts); a union of types takes the payload of any of them.
 */
export type NewEvent<T extends EventType = EventType> = {
  [K in T]: {
    collaborationId: number | null;
    actorId: number | null;
    type: K;
    subject?: string | null;
    payload: EventPayload<K>;
  };
}[T];

export interface EventRow {
  id: number;
  collaboration_id: number | null;
  actor_id: number | null;
  actor_handle: string | null;
  type: EventType;
  subject: string | null;
  payload: EventPayload;
  created_at: Date;
}

/**
 * Call inside the transaction that made the change, as its last statement, so the change and
 * its event commit together. The advisory lock (released at commit) makes ids visible in order
 * and lets the id be max(id) + 1, so the log has no gaps, even after a crash (decision 0160);
 * NOTIFY is delivered only if the transaction commits. The payload is checked against its type's
 * schema first (strictly): what the log holds is what the union says.
 */
export async function appendEvent<T extends EventType>(tx: Queryable, e: NewEvent<T>): Promise<number> {
  const payload = checkEventPayload(e.type, e.payload);
  await tx.query('select pg_advisory_xact_lock(4242002)');
  // The next id under the lock: used only if this transaction commits, so ids have no gaps (0160).
  const [row] = await tx.query<{ id: number }>(
    `insert into events (id, collaboration_id, actor_id, type, subject, payload)
     select coalesce(max(id), 0) + 1, $1::int, $2::int, $3, $4, $5::jsonb from events returning id`,
    [e.collaborationId, e.actorId, e.type, e.subject ?? null, JSON.stringify(payload)],
  );
  await tx.query('select pg_notify($1, $2)', [EVENTS_CHANNEL, String(e.collaborationId ?? '')]);
  return row!.id;
}

export async function eventsAfter(
  db: Queryable,
  collaborationId: number,
  afterId: number,
  limit: number,
  types?: string[],
): Promise<EventRow[]> {
  return db.query<EventRow>(
    `select e.*, p.handle as actor_handle from events e left join participants p on p.id = e.actor_id
     where e.collaboration_id = $1 and e.id > $2 and ($4::text[] is null or e.type = any($4))
     order by e.id limit $3`,
    [collaborationId, afterId, limit, types && types.length ? types : null],
  );
}

/** The newest `limit` events of a collaboration, oldest first: what a dashboard shows as recent activity before it follows the stream. */
export async function latestEvents(db: Queryable, collaborationId: number, limit: number, types?: string[]): Promise<EventRow[]> {
  const rows = await db.query<EventRow>(
    `select e.*, p.handle as actor_handle from events e left join participants p on p.id = e.actor_id
     where e.collaboration_id = $1 and ($3::text[] is null or e.type = any($3))
     order by e.id desc limit $2`,
    [collaborationId, limit, types && types.length ? types : null],
  );
  return rows.reverse();
}

/** Events of every collaboration after an id, in id order: what the live stream's one reader reads. */
export async function eventsSince(db: Queryable, afterId: number, limit: number): Promise<EventRow[]> {
  return db.query<EventRow>(
    `select e.*, p.handle as actor_handle from events e left join participants p on p.id = e.actor_id
     where e.id > $1 order by e.id limit $2`,
    [afterId, limit],
  );
}

export async function latestEventId(db: Queryable): Promise<number> {
  const [row] = await db.query<{ id: number | null }>('select max(id) as id from events');
  return row?.id ?? 0;
}

/** Event kinds that never change a score (migration 0130: the same predicate as its partial index). */
const NOT_SCORES = `type not like 'post.%' and type not like 'page.%' and type not like 'claim.%' and type not like 'artifact.%'
    and type not like 'runner.%' and type not in ('flag.created', 'invite.created', 'member.joined', 'quota.granted')`;

/**
 * The collaboration's scores version: its newest event that may change a score (a result, a job, a
 * submission's standing, a ruling, settings), 0 before any. Every write appends its event in its
 * transaction and ids become visible in commit order, so an answer computed after reading version
 * v reflects at least everything up to v. Posts and the other chatty kinds do not move it.
 */
export async function scoresVersion(db: Queryable, collaborationId: number): Promise<number> {
  const [row] = await db.query<{ id: number | null }>(`select max(id) as id from events where collaboration_id = $1 and ${NOT_SCORES}`, [collaborationId]);
  return Number(row?.id ?? 0);
}
