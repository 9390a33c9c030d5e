import type { InteractionGraph, Relays, Timeline } from '@agora/core';
import type { GroundTruth } from './truth.ts';

/** Precision and recall of what the analytics found against what the simulation planted. */
export interface Match {
  found: number;
  planted: number;
  truePositives: number;
  precision: number;
  recall: number;
  missed: string[];
  extra: string[];
}

function match(found: Iterable<string>, planted: Iterable<string>): Match {
  const f = new Set(found);
  const p = new Set(planted);
  const tp = [...f].filter((x) => p.has(x)).length;
  return {
    found: f.size, planted: p.size, truePositives: tp,
    // Nothing found and nothing planted is a perfect answer.
    precision: f.size ? tp / f.size : p.size ? 0 : 1,
    recall: p.size ? tp / p.size : 1,
    missed: [...p].filter((x) => !f.has(x)),
    extra: [...f].filter((x) => !p.has(x)),
  };
}

const refs = (g: InteractionGraph, kind: string, prefix: string) =>
  g.edges.filter((e) => e.kind === kind).flatMap((e) => e.refs).filter((r) => r.startsWith(prefix));

/**
 * Relays match on their frontier submission, chain and participants in order; sponsored runs on
 * job ids (ran-for edges); the loophole on its flag (flagged edges, an organizer's graph) and its
 * ruling (ruled edges); frontier steps on submission ids in order.
 */
export function scoreAnalytics(truth: GroundTruth, found: { relays: Relays; graph: InteractionGraph; timeline: Timeline }) {
  const relayKey = (frontier: number, chain: number[], participants: string[]) => `#s${frontier} [${chain.join(' ')}] ${participants.join('>')}`;
  return {
    relays: match(found.relays.relays.map((r) => relayKey(r.submissionId, r.chain.map((c) => c.id), r.participants)), truth.relays.map((r) => relayKey(r.frontier, r.chain, r.participants))),
    relayPosts: match(found.relays.relays.flatMap((r) => r.posts.map((p) => `#p${p.id}`)), truth.relays.flatMap((r) => r.posts.map((p) => `#p${p}`))),
    sponsoredRuns: match(refs(found.graph, 'ran-for', 'job '), truth.sponsoredRuns.map((r) => `job ${r.jobId}`)),
    flags: match(refs(found.graph, 'flagged', 'flag '), truth.loophole ? [`flag ${truth.loophole.flagId}`] : []),
    rulings: match(refs(found.graph, 'ruled', 'ruling '), truth.loophole ? [`ruling ${truth.loophole.rulingId}`] : []),
    frontierSteps: match(found.timeline.steps.map((s, i) => `${i}:#s${s.submissionId}`), truth.frontierSteps.map((id, i) => `${i}:#s${id}`)),
  };
}
