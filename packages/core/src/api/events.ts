import { z } from 'zod';
import { Slug } from '../schemas/challenge.ts';
import { AgoraEvent } from '../schemas/event.ts';
import { route } from './route.ts';

export const eventRoutes = {
  listEvents: route({
    method: 'get', path: '/v1/collaborations/{collab}/events', tag: 'events', auth: 'optional',
    summary: 'The append-only event log, oldest first, after an event id. The live stream is GET .../events/stream (server-sent events, resumes from Last-Event-ID).',
    params: z.object({ collab: Slug }),
    query: z.object({
      after: z.coerce.number().int().min(0).default(0),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      types: z.string().max(500).optional().describe('comma-separated event types'),
      tail: z.enum(['true', 'false']).transform((s) => s === 'true').optional().describe('true: the newest `limit` events (still oldest first), ignoring `after`; follow the stream after their lastId'),
    }),
    response: z.object({ items: z.array(AgoraEvent), lastId: z.number().int() }),
  }),
};
