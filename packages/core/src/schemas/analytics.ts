import { z } from 'zod';

/** The interaction graph and its measures (issue 15; definitions in docs/analytics.md). */

export const EDGE_KINDS = ['reply', 'mention', 'builds-on', 'ran-for', 'credited', 'flagged', 'ruled', 'co-edited'] as const;
export const EdgeKind = z.enum(EDGE_KINDS);
export type EdgeKind = z.infer<typeof EdgeKind>;

/** A time window on the query string: ISO instants, either end open. */
export const WindowQuery = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});

export const GraphNode = z.object({ handle: z.string(), role: z.string() });

export const GraphEdge = z.object({
  kind: EdgeKind,
  from: z.string(),
  to: z.string(),
  /** How many interactions of this kind went from `from` to `to` in the window. */
  weight: z.number().int(),
  firstAt: z.string(),
  lastAt: z.string(),
  /** What the interactions were: #p12, #s3, job 4, flag 1, ruling 2, page playbook r3 (at most 5, but all of them for ran-for, flagged and ruled). */
  refs: z.array(z.string()),
});
export type GraphEdge = z.infer<typeof GraphEdge>;

export const InteractionGraph = z.object({
  from: z.string().nullable(),
  to: z.string().nullable(),
  nodes: z.array(GraphNode),
  edges: z.array(GraphEdge),
  /** Whether flagged edges are included (flags are private: organizers only). */
  includesFlags: z.boolean(),
});
export type InteractionGraph = z.infer<typeof InteractionGraph>;

export const ParticipantMeasures = z.object({
  handle: z.string(),
  role: z.string(),
  posts: z.number().int(),
  replies: z.number().int(),
  submissions: z.number().int(),
  frontierSteps: z.number().int(),
  creditGiven: z.number().int(),
  creditReceived: z.number().int(),
  jobsForOthers: z.number().int(),
  jobsByOthers: z.number().int(),
  inDegree: z.number().int(),
  outDegree: z.number().int(),
  /** Weighted PageRank over the graph (damping 0.85), summing to 1 over the nodes. */
  pagerank: z.number(),
});
export type ParticipantMeasures = z.infer<typeof ParticipantMeasures>;

export const Latency = z.object({
  /** Threads with a reply by someone other than their author. */
  answered: z.number().int(),
  unanswered: z.number().int(),
  medianSeconds: z.number().nullable(),
  p90Seconds: z.number().nullable(),
  meanSeconds: z.number().nullable(),
});

export const Measures = z.object({
  from: z.string().nullable(),
  to: z.string().nullable(),
  participants: z.array(ParticipantMeasures),
  credit: z.object({ total: z.number().int(), gini: z.number().nullable(), top10Share: z.number().nullable() }),
  responseLatency: Latency,
  lineage: z.object({ links: z.number().int(), crossAuthor: z.number().int(), crossAuthorShare: z.number().nullable() }),
});
export type Measures = z.infer<typeof Measures>;

export const FrontierStep = z.object({
  at: z.string(),
  submissionId: z.number().int(),
  author: z.string(),
  value: z.number(),
  previous: z.number().nullable(),
  /** The submissions behind the step, oldest first, ending with it: back along the lineage to the previous frontier step (exclusive) or a root. */
  chain: z.array(z.object({ id: z.number().int(), author: z.string(), createdAt: z.string() })),
  /** Posts that name any submission of the chain (#s), oldest first. */
  posts: z.array(z.object({ id: z.number().int(), author: z.string(), createdAt: z.string() })),
  /** Distinct participants in the order they joined: chain authors, runners of its jobs, authors of the posts. */
  participants: z.array(z.string()),
  /** A relay: at least two distinct authors in the chain and at least three participants. */
  relay: z.boolean(),
});
export type FrontierStep = z.infer<typeof FrontierStep>;

export const Timeline = z.object({
  metric: z.object({ direction: z.enum(['maximize', 'minimize']) }),
  split: z.string().nullable(),
  hardwareClass: z.string().nullable(),
  steps: z.array(FrontierStep),
});
export type Timeline = z.infer<typeof Timeline>;

export const Relays = z.object({ hardwareClass: z.string().nullable(), relays: z.array(FrontierStep) });
export type Relays = z.infer<typeof Relays>;
