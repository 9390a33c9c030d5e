import type { Queryable } from './db.ts';

export const EVENTS_CHANNEL = 'agora_events';

export interface NewEvent {
  collaborationId: number | null;
  actorId: number | null;
  type: string;
  subject?: string | null;
  payload?: Record<string, unknown>;
}

export interface EventRow {
  id: number;
  collaboration_id: number | null;
  actor_id: number | null;
  actor_handle: string | null;
  type: string;
  subject: string | null;
  payload: Record<string, unknown>;
  created_at: Date;
}

/**
 * Call inside the transaction that made the change, as its last statement, so the change and
 * its event commit together. The advisory lock (released at commit) makes ids visible in order;
 * NOTIFY is delivered only if the transaction commits.
 */
export async function appendEvent(tx: Queryable, e: NewEvent): Promise<number> {
  await tx.query('select pg_advisory_xact_lock(4242002)');
  const [row] = await tx.query<{ id: number }>(
    `insert into events (collaboration_id, actor_id, type, subject, payload)
     values ($1, $2, $3, $4, $5) returning id`,
    [e.collaborationId, e.actorId, e.type, e.subject ?? null, JSON.stringify(e.payload ?? {})],
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
