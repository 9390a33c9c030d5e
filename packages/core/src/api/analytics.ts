import { z } from 'zod';
import { EdgeKind, InteractionGraph, Measures, Relays, Timeline, WindowQuery } from '../schemas/analytics.ts';
import { Slug } from '../schemas/challenge.ts';
import { route } from './route.ts';

const CollabParams = z.object({ collab: Slug });
const Kinds = z.string().max(200).transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean)).pipe(z.array(EdgeKind)).optional()
  .describe('comma-separated edge kinds: reply, mention, builds-on, ran-for, credited, flagged, ruled, co-edited');
const Hardware = z.string().max(140).optional();

/** The research record's read views (issue 15), each defined in docs/analytics.md. */
export const analyticsRoutes = {
  interactionGraph: route({
    method: 'get', path: '/v1/collaborations/{collab}/analytics/graph', tag: 'analytics', auth: 'optional',
    summary: 'The interaction graph: members as nodes; weighted, time-stamped edges for replies, mentions, builds-on (lineage across authors), ran-for (sponsored runs), credited, flagged (organizers only), ruled and co-edited pages; optionally in a window [from, to) and of some kinds.',
    params: CollabParams,
    query: WindowQuery.extend({ kinds: Kinds }),
    response: InteractionGraph,
  }),
  analyticsMeasures: route({
    method: 'get', path: '/v1/collaborations/{collab}/analytics/measures', tag: 'analytics', auth: 'optional',
    summary: 'Per participant: posts, replies, submissions, frontier steps, credit given and received, jobs run for others and by others, degree and PageRank; credit concentration (Gini, top-10% share), board response latency, the share of lineage links that cross authors; optionally in a window [from, to).',
    params: CollabParams,
    query: WindowQuery.extend({ hardware: Hardware }),
    response: Measures,
  }),
  analyticsTimeline: route({
    method: 'get', path: '/v1/collaborations/{collab}/analytics/timeline', tag: 'analytics', auth: 'optional',
    summary: 'The frontier over time on the public split and one hardware class (default the busiest): each step with the chain of submissions behind it, the posts naming them, its participants and whether it was a relay.',
    params: CollabParams,
    query: z.object({ hardware: Hardware }),
    response: Timeline,
  }),
  relays: route({
    method: 'get', path: '/v1/collaborations/{collab}/analytics/relays', tag: 'analytics', auth: 'optional',
    summary: 'Relays: frontier steps reached by a chain of at least two distinct authors and three participants (a build, a failed run, a diagnosis, a shipped result), with the posts between them.',
    params: CollabParams,
    query: z.object({ hardware: Hardware }),
    response: Relays,
  }),
};
