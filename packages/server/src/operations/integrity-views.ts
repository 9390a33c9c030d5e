import {
  AgoraError, bestOverTime, boardLinks, descendants, guardrailBetter, leaderboardCutoff, mean, paretoFront,
  type Badge, type Infer, type LineageNode, type Routes, type SubmissionStanding,
} from '@agora/core';
import { lineageRows, scoredResults, verdictsInForce, type StandingRow, type VerdictRow } from '@agora/store/integrity';
import { access, isoReq, type CollabAccess } from '../collab.ts';
import { cachedByEvents } from '../read-cache.ts';
import type { OperationCtx } from './board.ts';
import { rankedPools, unrankedPools, type Pool } from './scores.ts';

/**
 * The read views of issue 11: lineage, frontier, progress. They are computed (ranked pools, a
 * front), not rows, so they answer the response shape. Non-organizers read public splits only.
 * Each is computed from the whole collaboration's submissions and results, so each is cached by
 * the collaboration's scores version (read-cache.ts, decision 0171): recomputed only once an event
 * that may change a score has landed; who may read it is checked on every request, before the cache.
 */

export function standingOut(r: StandingRow, slug: string): SubmissionStanding {
  return {
    state: r.invalidated_at ? 'invalid' : r.withdrawn_at ? 'withdrawn' : 'valid',
    invalidatedBy: r.invalid_by !== null && r.invalidated_at && r.invalid_post_id !== null
      ? { rulingId: r.invalid_by, postId: r.invalid_post_id, postUrl: boardLinks(slug).post(r.invalid_post_id), at: isoReq(r.invalidated_at) }
      : null,
    withdrawn: r.withdrawn_at ? { at: isoReq(r.withdrawn_at), reason: r.withdrawn_reason } : null,
  };
}

function readableSplit(a: CollabAccess, split: string): void {
  const s = a.collab.challenge.splits?.[split];
  if (!s) throw new AgoraError('validation_failed', `unknown split "${split}"; this challenge has: ${Object.keys(a.collab.challenge.splits ?? {}).join(', ')}`, { split });
  if (s.visibility === 'private' && a.role !== 'organizer') throw new AgoraError('forbidden', `split "${split}" is private: its figures are for organizers`);
}

const metricOf = (a: CollabAccess) => {
  const { name, unit, direction } = a.collab.challenge.metric;
  return { name, unit, direction };
};

/** The badge of the verdict in force of a submission's private verification (decision 0140); none while pending or inconclusive. */
function verdictOf(v: VerdictRow | undefined): Badge | null {
  if (!v) return null;
  return v.verdict === 'verified' ? 'verified' : v.verdict === 'diverged' ? 'diverged' : v.verdict === 'failed' ? 'verification-failed' : null;
}

export async function lineage({ db, actor }: OperationCtx, slug: string, q: { of?: number | undefined; split: string }): Promise<Infer<Routes['lineage']['response']>> {
  const a = await access(db, slug, actor);
  readableSplit(a, q.split);
  const challenge = a.collab.challenge;
  const cutoff = leaderboardCutoff(challenge.schedule, new Date(), a.role);
  return cachedByEvents(db, a.collab.id, JSON.stringify(['lineage', q.split, q.of ?? null, cutoff?.getTime() ?? null]), async () => {
    const [rows, results, outcomes] = await Promise.all([
      lineageRows(db, a.collab.id),
      scoredResults(db, a.collab.id, q.split, { rankedOnly: false, cutoff }),
      verdictsInForce(db, a.collab.id),
    ]);
    const out = new Set(rows.filter((r) => r.invalidated_at || r.withdrawn_at).map((r) => r.id));
    const inForce = new Map(outcomes.map((o) => [o.submission_id, o.verdict]));
    const pools = [
      ...rankedPools(results.filter((r) => !out.has(r.submission_id)), challenge, inForce),
      ...unrankedPools(results.filter((r) => out.has(r.submission_id)), challenge),
    ];
    const scores = new Map<number, Pool[]>();
    for (const p of pools) scores.set(p.submissionId, [...(scores.get(p.submissionId) ?? []), p]);
    const verdicts = new Map(outcomes.map((o) => [o.submission_id, o]));
    let keep: Set<number> | null = null;
    if (q.of !== undefined) {
      if (!rows.some((r) => r.id === q.of)) throw new AgoraError('not_found', `submission ${q.of} not found in this collaboration`, { submissionId: q.of });
      const nodes = rows.map((r) => ({ id: r.id, parents: r.parents, levers: r.levers, invalidBy: r.invalid_by }));
      // Ancestors are the descendants of the reversed graph.
      const children = new Map<number, number[]>();
      for (const r of rows) for (const p of r.parents) children.set(p, [...(children.get(p) ?? []), r.id]);
      const reversed = rows.map((r) => ({ id: r.id, parents: children.get(r.id) ?? [], levers: [], invalidBy: null }));
      keep = new Set([q.of, ...descendants(nodes, [q.of]), ...descendants(reversed, [q.of])]);
    }
    const nodes: LineageNode[] = rows.filter((r) => !keep || keep.has(r.id)).map((r) => {
      const standing = standingOut(r, a.collab.slug);
      const own = (scores.get(r.id) ?? []).sort((x, y) => x.hardwareClass.localeCompare(y.hardwareClass));
      const verdict = verdictOf(verdicts.get(r.id));
      const badges: Badge[] = [
        ...(verdict ? [verdict] : []),
        ...(own.some((p) => !p.guardrailsPassed) ? ['guardrail-failed' as const] : []),
        ...(standing.state === 'invalid' ? ['invalid' as const] : []),
        ...(r.withdrawn_at ? ['withdrawn' as const] : []),
        ...(r.duplicate_of !== null ? ['duplicate' as const] : []),
      ];
      return {
        id: r.id, ref: `#s${r.id}`, title: r.title, author: r.author_handle, credits: r.credits, sponsors: r.sponsors.sort(), parents: r.parents,
        levers: r.levers, duplicateOf: r.duplicate_of, createdAt: isoReq(r.created_at), standing, badges,
        scores: own.map((p) => ({
          hardwareClass: p.hardwareClass, mean: p.mean, ciLow: p.ciLow, ciHigh: p.ciHigh, n: p.n, jobs: p.results.length,
          rank: p.rank, tier: p.tier, guardrailsPassed: p.guardrailsPassed,
        })),
      };
    });
    return { metric: metricOf(a), split: q.split, nodes };
  });
}

export async function frontier({ db, actor }: OperationCtx, slug: string, q: { split: string; hardware?: string | undefined }): Promise<Infer<Routes['frontier']['response']>> {
  const a = await access(db, slug, actor);
  readableSplit(a, q.split);
  const challenge = a.collab.challenge;
  const cutoff = leaderboardCutoff(challenge.schedule, new Date(), a.role);
  return cachedByEvents(db, a.collab.id, JSON.stringify(['frontier', q.split, q.hardware ?? null, cutoff?.getTime() ?? null]), async () => {
    const [rows, results] = await Promise.all([
      lineageRows(db, a.collab.id),
      scoredResults(db, a.collab.id, q.split, { rankedOnly: true, cutoff }),
    ]);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const pools = rankedPools(results.filter((r) => !q.hardware || r.hardware_class === q.hardware), challenge);
    const fronts = challenge.guardrails.map((g) => {
      const points = pools.flatMap((p) => {
        const values = p.results.flatMap((r) => r.guardrails.filter((x) => x.name === g.name && typeof x.value === 'number').map((x) => x.value!));
        if (!values.length) return [];
        const passed = p.results.every((r) => r.guardrails.filter((x) => x.name === g.name).every((x) => x.passed));
        return [{ pool: p, guardrail: mean(values), passed }];
      });
      const onFront = new Set<string>();
      for (const cls of new Set(points.map((x) => x.pool.hardwareClass))) {
        const here = points.filter((x) => x.pool.hardwareClass === cls);
        const front = paretoFront(here.map((x) => ({ key: `${x.pool.submissionId}`, x: x.pool.mean, y: x.guardrail })),
          challenge.metric.direction === 'maximize' ? 'higher' : 'lower', guardrailBetter(g.op));
        for (const k of front) onFront.add(`${cls}\u0000${k}`);
      }
      return {
        guardrail: { name: g.name, op: g.op, threshold: g.threshold },
        points: points.map((x) => ({
          submissionId: x.pool.submissionId, title: byId.get(x.pool.submissionId)?.title ?? '', author: byId.get(x.pool.submissionId)?.author_handle ?? '',
          hardwareClass: x.pool.hardwareClass, metric: x.pool.mean, guardrail: x.guardrail, guardrailPassed: x.passed,
          onFrontier: onFront.has(`${x.pool.hardwareClass}\u0000${x.pool.submissionId}`),
        })),
      };
    });
    return { split: q.split, metric: metricOf(a), fronts };
  });
}

/** The public split the progress chart reads: `public` if there is one, else the first public split. */
const publicSplit = (a: CollabAccess) =>
  a.collab.challenge.splits?.public?.visibility === 'public'
    ? 'public'
    : Object.entries(a.collab.challenge.splits ?? {}).find(([, s]) => s.visibility === 'public')![0];

export async function progress({ db, actor }: OperationCtx, slug: string, q: { hardware?: string | undefined }): Promise<Infer<Routes['progress']['response']>> {
  const a = await access(db, slug, actor);
  const challenge = a.collab.challenge;
  const cutoff = leaderboardCutoff(challenge.schedule, new Date(), a.role);
  return cachedByEvents(db, a.collab.id, JSON.stringify(['progress', q.hardware ?? null, cutoff?.getTime() ?? null]), async () => {
    const [rows, results, outcomes] = await Promise.all([
      lineageRows(db, a.collab.id),
      scoredResults(db, a.collab.id, publicSplit(a), { rankedOnly: true, cutoff }),
      verdictsInForce(db, a.collab.id),
    ]);
    const counts = new Map<string, number>();
    for (const r of results) counts.set(r.hardware_class, (counts.get(r.hardware_class) ?? 0) + 1);
    // One hardware class: results from different hardware are never compared. Default: the busiest.
    const cls = q.hardware ?? [...counts].sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))[0]?.[0] ?? null;
    const byId = new Map(rows.map((r) => [r.id, r]));
    // Each step is verified, at the time its verdict was decided (or set by an organizer).
    const verifiedAt = new Map(outcomes.filter((o) => o.verdict === 'verified').map((o) => [o.submission_id, o.decided_at]));
    const pools = cls === null ? [] : rankedPools(results.filter((r) => r.hardware_class === cls), challenge, new Map(outcomes.map((o) => [o.submission_id, o.verdict])));
    const entries = pools
      .filter((p) => p.rank !== null && verifiedAt.has(p.submissionId))
      .map((p) => ({ at: verifiedAt.get(p.submissionId)!, value: p.mean, item: p }));
    const steps = bestOverTime(entries, challenge.metric.direction).map((s) => {
      const sub = byId.get(s.item.submissionId)!;
      return { at: isoReq(s.at), submissionId: sub.id, ref: `#s${sub.id}`, title: sub.title, author: sub.author_handle, mean: s.value, hardwareClass: s.item.hardwareClass };
    });
    return { metric: metricOf(a), hardwareClass: cls, steps };
  });
}
