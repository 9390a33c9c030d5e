import { analyticsRoutes as r, exportRoutes } from '@agora/core';
import type { Hono } from 'hono';
import { mount, type AppEnv } from '../mount.ts';
import * as analytics from '../operations/analytics.ts';
import { exportCollaboration } from '../operations/export.ts';

/** The interaction graph, measures, frontier timeline and relays (issue 15; docs/analytics.md), and the export (docs/export.md). */
export function mountAnalytics(app: Hono<AppEnv>): void {
  mount(app, r.interactionGraph, ({ actor, params, query, services: { db } }) => analytics.graph({ db, actor }, params.collab, query));
  mount(app, r.analyticsMeasures, ({ actor, params, query, services: { db } }) => analytics.measuresOf({ db, actor }, params.collab, query));
  mount(app, r.analyticsTimeline, ({ actor, params, query, services: { db } }) => analytics.timeline({ db, actor }, params.collab, query));
  mount(app, r.relays, async ({ actor, params, query, services: { db } }) => {
    const t = await analytics.timeline({ db, actor }, params.collab, query);
    return { hardwareClass: t.hardwareClass, relays: t.steps.filter((s) => s.relay) };
  });
  mount(app, exportRoutes.exportCollaboration, ({ actor, params, query, services: { db } }) => exportCollaboration({ db, actor }, params.collab, query));
}
