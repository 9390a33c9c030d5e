import type { GraphEdge, Measures } from '../schemas/analytics.ts';
import { aggregate, interactions } from './graph.ts';
import { inWindow, type AnalyticsInput, type Window } from './input.ts';

/**
 * Gini coefficient of non-negative amounts: 0 when all are equal, (n-1)/n when one holds all;
 * null for no amounts or a zero total.
 */
export function gini(xs: readonly number[]): number | null {
  const v = [...xs].sort((a, b) => a - b);
  const n = v.length;
  const total = v.reduce((s, x) => s + x, 0);
  if (!n || total <= 0) return null;
  // G = sum_i (2i - n - 1) x_i / (n * total), i = 1..n over the sorted amounts.
  let acc = 0;
  v.forEach((x, i) => (acc += (2 * (i + 1) - n - 1) * x));
  return acc / (n * total);
}

/** The share of the total held by the top `fraction` of holders (at least one holder). */
export function topShare(xs: readonly number[], fraction = 0.1): number | null {
  const total = xs.reduce((s, x) => s + x, 0);
  if (!xs.length || total <= 0) return null;
  const k = Math.max(1, Math.ceil(xs.length * fraction));
  return [...xs].sort((a, b) => b - a).slice(0, k).reduce((s, x) => s + x, 0) / total;
}

/** The value at quantile q of sorted numbers (linear between neighbours); null when empty. */
export function quantile(sorted: readonly number[], q: number): number | null {
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/**
 * Weighted PageRank (damping 0.85, 100 iterations or until it moves less than 1e-12): a node's
 * rank flows along its out-edges in proportion to their weight; dangling nodes spread evenly.
 */
export function pagerank(nodes: readonly string[], edges: readonly Pick<GraphEdge, 'from' | 'to' | 'weight'>[], damping = 0.85): Map<string, number> {
  const n = nodes.length;
  const rank = new Map(nodes.map((h) => [h, 1 / Math.max(1, n)]));
  if (!n) return rank;
  const out = new Map<string, Array<{ to: string; w: number }>>();
  const outWeight = new Map<string, number>();
  for (const e of edges) {
    if (!rank.has(e.from) || !rank.has(e.to)) continue;
    out.set(e.from, [...(out.get(e.from) ?? []), { to: e.to, w: e.weight }]);
    outWeight.set(e.from, (outWeight.get(e.from) ?? 0) + e.weight);
  }
  for (let it = 0; it < 100; it++) {
    let dangling = 0;
    for (const h of nodes) if (!outWeight.get(h)) dangling += rank.get(h)!;
    const next = new Map(nodes.map((h) => [h, (1 - damping) / n + (damping * dangling) / n]));
    for (const [from, list] of out) {
      const share = (damping * rank.get(from)!) / outWeight.get(from)!;
      for (const { to, w } of list) next.set(to, next.get(to)! + share * w);
    }
    let moved = 0;
    for (const h of nodes) moved += Math.abs(next.get(h)! - rank.get(h)!);
    for (const [h, v] of next) rank.set(h, v);
    if (moved < 1e-12) break;
  }
  return rank;
}

/** Seconds from each thread's start to its first reply by someone else; threads never answered counted apart. */
export function responseLatency(input: AnalyticsInput, w: Window) {
  const firstReply = new Map<number, number>();
  const threads = input.posts.filter((p) => p.threadId === null && inWindow(w, p.createdAt));
  const byId = new Map(threads.map((t) => [t.id, t]));
  for (const p of input.posts) {
    const t = p.threadId === null ? undefined : byId.get(p.threadId);
    if (!t || p.author === t.author || firstReply.has(t.id)) continue;
    firstReply.set(t.id, (p.createdAt.getTime() - t.createdAt.getTime()) / 1000);
  }
  const secs = [...firstReply.values()].sort((a, b) => a - b);
  return {
    answered: secs.length,
    unanswered: threads.length - secs.length,
    medianSeconds: quantile(secs, 0.5),
    p90Seconds: quantile(secs, 0.9),
    meanSeconds: secs.length ? secs.reduce((s, x) => s + x, 0) / secs.length : null,
  };
}

/** Per-participant counts and the collaboration's summaries over a window (docs/analytics.md). */
export function measures(input: AnalyticsInput, w: Window, frontierAuthors: readonly string[]): Measures {
  const handles = input.members.map((m) => m.handle);
  const zero = () => ({ posts: 0, replies: 0, submissions: 0, frontierSteps: 0, creditGiven: 0, creditReceived: 0, jobsForOthers: 0, jobsByOthers: 0, inDegree: 0, outDegree: 0 });
  const per = new Map(handles.map((h) => [h, zero()]));
  const bump = (h: string | null, k: keyof ReturnType<typeof zero>, by = 1) => {
    const m = h === null ? undefined : per.get(h);
    if (m) m[k] += by;
  };
  for (const p of input.posts) {
    if (!inWindow(w, p.createdAt)) continue;
    bump(p.author, 'posts');
    if (p.threadId !== null) bump(p.author, 'replies');
  }
  const subs = new Map(input.submissions.map((s) => [s.id, s]));
  let links = 0;
  let cross = 0;
  for (const s of input.submissions) {
    if (!inWindow(w, s.createdAt)) continue;
    bump(s.author, 'submissions');
    for (const c of s.credits) if (c !== s.author) {
      bump(s.author, 'creditGiven');
      bump(c, 'creditReceived');
    }
    for (const p of s.parents) {
      const parent = subs.get(p);
      if (!parent) continue;
      links++;
      if (parent.author !== s.author) cross++;
    }
  }
  for (const j of input.jobs) if (inWindow(w, j.createdAt) && j.sponsor && j.sponsor !== j.author) {
    bump(j.sponsor, 'jobsForOthers');
    bump(j.author, 'jobsByOthers');
  }
  for (const a of frontierAuthors) bump(a, 'frontierSteps');
  const edges = aggregate(interactions(input), w);
  const pairs = new Set<string>();
  for (const e of edges) {
    const key = `${e.from}\u0000${e.to}`;
    if (pairs.has(key)) continue;
    pairs.add(key);
    bump(e.from, 'outDegree');
    bump(e.to, 'inDegree');
  }
  const pr = pagerank(handles, edges);
  const received = [...per.entries()].filter(([h]) => input.members.find((m) => m.handle === h)?.role !== 'organizer').map(([, m]) => m.creditReceived);
  return {
    from: w.from?.toISOString() ?? null,
    to: w.to?.toISOString() ?? null,
    participants: input.members.map((m) => ({ handle: m.handle, role: m.role, ...per.get(m.handle)!, pagerank: pr.get(m.handle) ?? 0 })),
    credit: { total: received.reduce((s, x) => s + x, 0), gini: gini(received), top10Share: topShare(received, 0.1) },
    responseLatency: responseLatency(input, w),
    lineage: { links, crossAuthor: cross, crossAuthorShare: links ? cross / links : null },
  };
}
