import type { EdgeKind, GraphEdge, InteractionGraph } from '../schemas/analytics.ts';
import { inWindow, type AnalyticsInput, type Window } from './input.ts';

/**
 * The interaction graph: participants as nodes, one edge per (kind, from, to) weighted by how many
 * interactions it stands for. Definitions (docs/analytics.md):
 *   reply      author of a reply → author of the post it answers
 *   mention    author of a post → each participant it @mentions
 *   builds-on  author of a submission → author of each parent, when they differ
 *   ran-for    sponsor of a job → author of the submission it ran
 *   credited   author of a submission → each participant it credits
 *   flagged    reporter → author of the flagged submission or post (organizers only)
 *   ruled      organizer → authors the ruling reached (its submissions and its flags' targets)
 *   co-edited  author of a page revision → author of the page's previous revision
 * Self-loops are left out: they are not interactions.
 */
export interface Interaction {
  kind: EdgeKind;
  from: string;
  to: string;
  at: Date;
  ref: string;
}

export function interactions(input: AnalyticsInput): Interaction[] {
  const out: Interaction[] = [];
  const add = (kind: EdgeKind, from: string, to: string | null, at: Date, ref: string) => {
    if (to && from !== to) out.push({ kind, from, to, at, ref });
  };
  for (const p of input.posts) {
    add('reply', p.author, p.replyToAuthor, p.createdAt, `#p${p.id}`);
    for (const m of p.mentions) add('mention', p.author, m, p.createdAt, `#p${p.id}`);
  }
  const byId = new Map(input.submissions.map((s) => [s.id, s]));
  for (const s of input.submissions) {
    for (const parent of s.parents) add('builds-on', s.author, byId.get(parent)?.author ?? null, s.createdAt, `#s${s.id}`);
    for (const c of s.credits) add('credited', s.author, c, s.createdAt, `#s${s.id}`);
  }
  for (const j of input.jobs) if (j.sponsor) add('ran-for', j.sponsor, j.author, j.createdAt, `job ${j.id}`);
  for (const f of input.flags) add('flagged', f.reporter, f.targetAuthor, f.createdAt, `flag ${f.id}`);
  for (const r of input.rulings) for (const h of r.ruled) add('ruled', r.organizer, h, r.createdAt, `ruling ${r.id}`);
  const last = new Map<string, string>();
  for (const rev of input.pageRevisions) {
    add('co-edited', rev.author, last.get(rev.slug) ?? null, rev.createdAt, `page ${rev.slug} r${rev.number}`);
    last.set(rev.slug, rev.author);
  }
  return out;
}

/** refs are a sample on the chatty kinds; sponsored runs, flags and rulings are few and listed whole. */
const REFS_MAX = 5;
const ALL_REFS: ReadonlySet<EdgeKind> = new Set(['ran-for', 'flagged', 'ruled']);

/** Aggregates the interactions in the window into weighted edges, sorted by kind, from, to. */
export function aggregate(list: readonly Interaction[], w: Window = {}): GraphEdge[] {
  const edges = new Map<string, GraphEdge>();
  for (const i of list) {
    if (!inWindow(w, i.at)) continue;
    const key = `${i.kind}\u0000${i.from}\u0000${i.to}`;
    const at = i.at.toISOString();
    const e = edges.get(key);
    if (!e) {
      edges.set(key, { kind: i.kind, from: i.from, to: i.to, weight: 1, firstAt: at, lastAt: at, refs: [i.ref] });
      continue;
    }
    e.weight++;
    if (at < e.firstAt) e.firstAt = at;
    if (at > e.lastAt) e.lastAt = at;
    if ((ALL_REFS.has(i.kind) || e.refs.length < REFS_MAX) && !e.refs.includes(i.ref)) e.refs.push(i.ref);
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...edges.values()].sort((a, b) => cmp(a.kind, b.kind) || cmp(a.from, b.from) || cmp(a.to, b.to));
}

export function interactionGraph(input: AnalyticsInput, w: Window = {}, opts: { kinds?: readonly EdgeKind[]; includesFlags: boolean }): InteractionGraph {
  const list = interactions(input).filter((i) => !opts.kinds || opts.kinds.includes(i.kind));
  return {
    from: w.from?.toISOString() ?? null,
    to: w.to?.toISOString() ?? null,
    nodes: input.members.map((m) => ({ handle: m.handle, role: m.role })),
    edges: aggregate(list, w),
    includesFlags: opts.includesFlags,
  };
}
