import { coarse, comparisonSeenBy, jobRoutes as r, poolSeenBy, seesPrivateDetails, type BoardEntry } from '@agora/core';
import type { BoardResultRow } from '@agora/store/leaderboard';
import type { Hono } from 'hono';
import { isoReq } from '../collab.ts';
import { mount, type AppEnv } from '../mount.ts';
import * as ops from '../operations/leaderboard.ts';

// The leaderboard and `compare` (docs/decisions/0105-significance.md): the operation pools and
// ranks (operations/leaderboard.ts, core); this file only shapes the answers.

const RULE = 'rank = 1 + ranked entries of the hardware class whose interval lies wholly above; tiers number the distinct ranks';

export function mountLeaderboard(app: Hono<AppEnv>): void {
  mount(app, r.leaderboard, async ({ actor, params, query, services: { db } }) => {
    const { challenge, rules, rows, classes, role, visibility } = await ops.leaderboardOf({ db, actor }, params.collab, query.split, query.hardware ?? null);
    const byJob = new Map(rows.map((x) => [x.job_id, x]));
    // Of a private split, participants get coarsened figures and no spread (core's visibility rules, decision 0087).
    const open = seesPrivateDetails(visibility, role);
    const shown = (e: ReturnType<typeof entryOut>) => (open ? e : { ...poolSeenBy(role, { visibility }, e), center: coarse(e.center), baselineRatio: null });
    const items = classes.flatMap((cls) => cls.entries.filter((e) => e.results.some((x) => x.samples.some(Number.isFinite))).map((e) => shown(entryOut(e, byJob))));
    const noiseFloor = !open ? [] : classes.map((cls) => {
      const { scale: _, ...f } = cls.noiseFloor;
      return { hardwareClass: cls.hardwareClass, ...f };
    });
    const { name, unit, direction } = challenge.metric;
    return {
      split: query.split, hardware: query.hardware ?? null, metric: { name, unit, direction }, confidence: rules.confidence,
      ranking: { scale: rules.scale, minJobs: rules.minJobs, minSamples: rules.minSamples, rule: RULE },
      hardwareClasses: classes.map((c) => c.hardwareClass), noiseFloor, items,
    };
  });

  mount(app, r.compare, async ({ actor, params, query, services: { db } }) => {
    const { challenge, rules, hardwareClass, a, b, comparison: c, role, visibility } = await ops.compareSubmissions({ db, actor }, params.collab, query);
    const sideOut = (id: number, p: typeof a) => ({
      submissionId: id, pooledAs: p.submissionIds[0]!, jobs: p.estimate?.jobs ?? 0, n: p.estimate?.n ?? 0,
      center: p.estimate?.center ?? NaN, ciLow: p.estimate?.low ?? null, ciHigh: p.estimate?.high ?? null, guardrailsPassed: p.guardrailsPassed,
    });
    const { name, unit, direction } = challenge.metric;
    // Of a private split, participants get the verdict and coarsened figures (core's visibility rules, decision 0087).
    return comparisonSeenBy(role, { visibility }, {
      split: query.split, hardwareClass, metric: { name, unit, direction }, confidence: rules.confidence,
      verdict: c.verdict, basis: c.basis, scale: c.scale, ratio: { estimate: c.estimate, low: c.low, high: c.high }, p: c.p,
      a: sideOut(query.a, a), b: sideOut(query.b, b),
    });
  });
}

function entryOut(e: BoardEntry, byJob: Map<number, BoardResultRow>) {
  const rows = e.results.map((x) => byJob.get(x.jobId)!);
  const original = rows.find((x) => x.submission_id === e.submissionIds[0])!;
  const sponsors = new Map<number, string>();
  for (const x of rows) if (x.sponsor_id && x.sponsor_id !== x.author_id) sponsors.set(x.sponsor_id, x.sponsor_handle!);
  const all = e.results.flatMap((x) => x.samples).filter((x) => Number.isFinite(x));
  const mean = all.reduce((s, x) => s + x, 0) / Math.max(1, all.length);
  const sd = all.length < 2 ? null : Math.sqrt(all.reduce((s, x) => s + (x - mean) ** 2, 0) / (all.length - 1));
  const est = e.estimate;
  const ratio = e.baselineRatio;
  return {
    rank: e.rank, tier: e.tier, unranked: e.unranked, verdict: e.verdict,
    submissionId: e.submissionIds[0]!, duplicates: e.submissionIds.slice(1), title: original.title,
    author: { id: original.author_id, handle: original.author_handle },
    sponsors: [...sponsors].map(([id, handle]) => ({ id, handle })),
    hardwareClass: e.hardwareClass, jobs: e.results.length, n: all.length, mean, stdev: sd,
    center: est?.center ?? mean, ciLow: est?.low ?? null, ciHigh: est?.high ?? null,
    baselineRatio: ratio ? { estimate: ratio.center, low: ratio.low, high: ratio.high, n: ratio.n } : null,
    guardrailsPassed: e.guardrailsPassed,
    failedGuardrails: [...new Set(rows.flatMap((x) => x.guardrails.filter((g) => !g.passed).map((g) => g.name)))],
    lastResultAt: isoReq(rows.at(-1)!.created_at),
  };
}
