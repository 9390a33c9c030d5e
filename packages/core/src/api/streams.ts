import { z } from 'zod';
import { Slug } from '../schemas/challenge.ts';
import { IdParam } from './route.ts';

/**
 * The two live streams (server-sent events). They are not in the route table, whose routes answer
 * one body; the server mounts them by hand and /openapi.json describes them from here.
 */
export const streamRoutes = {
  eventStream: {
    path: '/v1/collaborations/{collab}/events/stream', tag: 'events', auth: 'optional' as const,
    summary: 'The event log live (text/event-stream): each event once, in order, `id:` its event id; resumes after Last-Event-ID (or ?after=); ?types= filters.',
    params: z.object({ collab: Slug }),
  },
  jobLogStream: {
    path: '/v1/collaborations/{collab}/jobs/{id}/logs/stream', tag: 'jobs', auth: 'optional' as const,
    summary: 'A job\'s log lines live (text/event-stream), `id:` the line number; resumes after Last-Event-ID; ends with an `end` event when the job is finished. Private-split logs: organizers only.',
    params: z.object({ collab: Slug, id: IdParam }),
  },
};
