import { AgoraError, EVENT_TYPES, eventRoutes as r, isEventType, isPrivateJobOutcomeEvent, type AgoraEvent } from '@agora/core';
import { eventsAfter, latestEvents, type EventRow } from '@agora/store';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { access } from '../collab.ts';
import { frameOf, type Frame } from '../fanout.ts';
import { mount, type AppEnv } from '../mount.ts';

export const eventOut = (e: EventRow): AgoraEvent => ({
  id: e.id, type: e.type, actor: e.actor_handle, subject: e.subject, payload: e.payload, createdAt: e.created_at.toISOString(),
}) as AgoraEvent; // appendEvent checked the payload against its type

const typeList = (types: string | undefined) => types?.split(',').map((t) => t.trim()).filter(Boolean);

const STREAM_BATCH = 500;
const HEARTBEAT_MS = 15_000;

export function mountEvents(app: Hono<AppEnv>) {
  mount(app, r.listEvents, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const types = typeList(query.types);
    const rows = query.tail ? await latestEvents(db, a.collab.id, query.limit, types) : await eventsAfter(db, a.collab.id, query.after, query.limit, types);
    // Private jobs' outcomes reach participants at their release time, through the job and the verdict (decision 0087).
    const shown = a.role === 'organizer' ? rows : rows.filter((e) => !isPrivateJobOutcomeEvent(e.type, e.payload));
    return { items: shown.map(eventOut), lastId: rows.at(-1)?.id ?? query.after };
  });

  // Server-sent events. Resumes after Last-Event-ID (or ?after=): every event once, in id order.
  app.get('/v1/collaborations/:collab/events/stream', async (c) => {
    const { db, hub } = c.get('services');
    const a = await access(db, c.req.param('collab'), c.get('actor'));
    const from = c.req.header('last-event-id') ?? c.req.query('after') ?? '0';
    if (!/^\d{1,15}$/.test(from)) throw new AgoraError('validation_failed', 'Last-Event-ID / after must be a non-negative integer event id');
    let cursor = Number(from);
    const types = typeList(c.req.query('types'));
    const unknown = types?.filter((t) => !isEventType(t)) ?? [];
    if (unknown.length) throw new AgoraError('validation_failed', `unknown event type ${JSON.stringify(unknown[0]!.slice(0, 60))}; the types are listed in docs/events.md`, { known: EVENT_TYPES });
    return streamSSE(c, async (stream) => {
      const aborted = hub.openStream();
      stream.onAbort(() => aborted.abort());
      // Observe first, then read the log up to now: an event committed in between arrives both
      // ways and is written once (ids only grow), one committed later arrives through the queue.
      const observer = hub.fanout.observe(a.collab.id, types);
      let lastWrite = performance.now(); // monotonic: a wall-clock jump back must not stop the keep-alives
      const organizer = a.role === 'organizer';
      const send = async (frame: Frame) => {
        if (frame.id <= cursor) return;
        if (frame.privateOutcome && !organizer) {
          cursor = frame.id;
          return;
        }
        await stream.write(frame.text);
        cursor = frame.id;
        lastWrite = performance.now();
      };
      try {
        for (;;) {
          const rows = await eventsAfter(db, a.collab.id, cursor, STREAM_BATCH, types);
          for (const row of rows) await send(frameOf(row));
          if (rows.length < STREAM_BATCH && !observer.overflowed) break;
          if (observer.overflowed) observer.reset(); // fell behind while reading the log: the log has it all
          if (aborted.signal.aborted) return;
        }
        while (!aborted.signal.aborted) {
          const frames = await observer.take(HEARTBEAT_MS, aborted.signal);
          // Too slow to keep up: end the stream rather than hold events for it; the client resumes
          // from its Last-Event-ID and reads what it missed from the log.
          if (observer.overflowed) break;
          for (const f of frames) await send(f);
          if (performance.now() - lastWrite >= HEARTBEAT_MS && !aborted.signal.aborted) {
            await stream.write(': keep-alive\n\n');
            lastWrite = performance.now();
          }
        }
      } finally {
        hub.fanout.forget(observer);
        aborted.abort();
      }
    });
  });
}
