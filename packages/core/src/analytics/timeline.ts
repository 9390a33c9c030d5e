import { mean } from '../stats/stats.ts';
import type { FrontierStep, Timeline } from '../schemas/analytics.ts';
import type { AnalyticsInput } from './input.ts';

/**
 * The frontier over time and what stands behind each step (docs/analytics.md):
 * - entries: valid (not invalid, not withdrawn) submissions with a scored, guardrail-passing
 *   result on the split and hardware class; each at its first such result, valued at the mean of
 *   all its samples there;
 * - steps: the entries that beat the best so far (bestOverTime's rule: strictly better);
 * - chain: back from the step along the lineage (at each submission its most recent parent) to
 *   the previous frontier step (left out) or a root; posts: those naming a chain submission;
 *   participants: chain authors, whoever ran the chain's jobs, and the posts' authors, in the order
 *   they first acted;
 * - relay: a chain with at least two distinct authors and at least three participants.
 */
export function frontierTimeline(input: AnalyticsInput, o: { direction: 'maximize' | 'minimize'; split: string | null; hardwareClass?: string | undefined }): Timeline {
  const results = input.results.filter((r) => r.split === o.split && r.guardrailsPassed && r.samples.length);
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.hardwareClass, (counts.get(r.hardwareClass) ?? 0) + 1);
  // One hardware class: results from different hardware are never compared. Default: the busiest.
  const cls = o.hardwareClass ?? [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))[0]?.[0] ?? null;
  const subs = new Map(input.submissions.map((s) => [s.id, s]));
  const pooled = new Map<number, { at: Date; samples: number[] }>();
  for (const r of results) {
    const s = subs.get(r.submissionId);
    if (r.hardwareClass !== cls || !s || s.invalid || s.withdrawn) continue;
    const p = pooled.get(r.submissionId);
    if (!p) pooled.set(r.submissionId, { at: r.createdAt, samples: [...r.samples] });
    else {
      p.samples.push(...r.samples);
      if (r.createdAt < p.at) p.at = r.createdAt;
    }
  }
  const better = (a: number, b: number) => (o.direction === 'maximize' ? a > b : a < b);
  const entries = [...pooled].map(([id, p]) => ({ id, at: p.at, value: mean(p.samples) }))
    .sort((a, b) => a.at.getTime() - b.at.getTime() || a.id - b.id);
  const raw: Array<{ id: number; at: Date; value: number; previous: number | null }> = [];
  for (const e of entries) {
    const best = raw.at(-1)?.value ?? null;
    if (best === null || better(e.value, best)) raw.push({ ...e, previous: best });
  }
  const stepIds = new Set(raw.map((s) => s.id));
  const postsBySub = new Map<number, AnalyticsInput['posts']>();
  for (const p of input.posts) for (const id of p.submissions) push(postsBySub, id, p);
  const jobsBySub = new Map<number, AnalyticsInput['jobs']>();
  for (const j of input.jobs) push(jobsBySub, j.submissionId, j);

  const steps: FrontierStep[] = raw.map((st) => {
    const chain = chainBehind(st.id, subs, stepIds);
    const posts = [...new Map(chain.flatMap((s) => postsBySub.get(s.id) ?? []).map((p) => [p.id, p])).values()].sort((a, b) => a.id - b.id);
    const acts: Array<{ at: Date; who: string; order: number }> = [
      ...chain.map((s) => ({ at: s.createdAt, who: s.author, order: 0 })),
      ...chain.flatMap((s) => (jobsBySub.get(s.id) ?? []).map((j) => ({ at: j.createdAt, who: j.sponsor ?? j.requestedBy, order: 1 }))),
      ...posts.map((p) => ({ at: p.createdAt, who: p.author, order: 2 })),
    ].sort((a, b) => a.at.getTime() - b.at.getTime() || a.order - b.order);
    const participants = [...new Set(acts.map((a) => a.who))];
    const authors = new Set(chain.map((s) => s.author));
    return {
      at: st.at.toISOString(), submissionId: st.id, author: subs.get(st.id)!.author, value: st.value, previous: st.previous,
      chain: chain.map((s) => ({ id: s.id, author: s.author, createdAt: s.createdAt.toISOString() })),
      posts: posts.map((p) => ({ id: p.id, author: p.author, createdAt: p.createdAt.toISOString() })),
      participants,
      relay: authors.size >= 2 && participants.length >= 3,
    };
  });
  return { metric: { direction: o.direction }, split: o.split, hardwareClass: cls, steps };
}

type Sub = AnalyticsInput['submissions'][number];

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** The submissions behind a step, oldest first: its most recent parent, that one's, ... up to an earlier step or a root. */
function chainBehind(id: number, subs: Map<number, Sub>, steps: Set<number>): Sub[] {
  const chain: Sub[] = [];
  const seen = new Set<number>();
  let cur = subs.get(id);
  while (cur && !seen.has(cur.id)) {
    chain.push(cur);
    seen.add(cur.id);
    const parent = cur.parents.map((p) => subs.get(p)).filter((p): p is Sub => !!p)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id)[0];
    if (!parent || steps.has(parent.id)) break;
    cur = parent;
  }
  return chain.reverse();
}
