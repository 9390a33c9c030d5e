import { coarse, comparisonSeenBy, jobRoutes as r, poolSeenBy, seesPrivateDetails } from '@agora/core';
import type { Hono } from 'hono';
import { mount, type AppEnv } from '../mount.ts';
import * as ops from '../operations/leaderboard.ts';

// The leaderboard and `compare` (docs/decisions/0105-significance.md): the operation pools and
// ranks (operations/leaderboard.ts, core); this file only shapes the answers.

const RULE = 'rank = 1 + ranked entries of the hardware class whose interval lies wholly above; tiers number the distinct ranks';

export function mountLeaderboard(app: Hono<AppEnv>): void {
  mount(app, r.leaderboard, async ({ actor, params, query, services: { db } }) => {
    const { challenge, rules, classes, role, visibility } = await ops.leaderboardOf({ db, actor }, params.collab, query.split, query.hardware ?? null);
    // Of a private split, participants get coarsened figures and no spread (core's visibility rules, decision 0087).
    const open = seesPrivateDetails(visibility, role);
    const shown = (e: ops.LeaderboardEntry) => (open ? e : { ...poolSeenBy(role, { visibility }, e), center: coarse(e.center), baselineRatio: null });
    const items = classes.flatMap((cls) => cls.entries.map(shown));
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
