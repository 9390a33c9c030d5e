import { boardLinks, cursorCodec, integrityRoutes as r, type Flag, type FlagCategory, type Ruling } from '@agora/core';
import type { FlagRow, RulingRow } from '@agora/store/integrity';
import type { Hono } from 'hono';
import { isoReq } from '../collab.ts';
import * as ops from '../operations/integrity.ts';
import { frontier, lineage, progress, standingOut } from '../operations/integrity-views.ts';
import { finalize, readFinalStandings, schedule } from '../operations/standings.ts';
import { mount, type AppEnv } from '../mount.ts';
import * as verification from '../operations/verification.ts';

const flagCursor = cursorCodec('flags', ['int']);
const rulingCursor = cursorCodec('rulings', ['int']);
const auditCursor = cursorCodec('audit', ['int']);
const verificationCursor = cursorCodec('verifications', ['int']);

export function flagOut(f: FlagRow): Flag {
  const target = f.submission_id !== null
    ? { kind: 'submission' as const, id: f.submission_id, ref: `#s${f.submission_id}` }
    : { kind: 'post' as const, id: f.post_id!, ref: `#p${f.post_id}` };
  return {
    id: f.id, ref: `#f${f.id}`, target, category: f.category as FlagCategory, evidence: f.evidence, reporter: f.reporter_handle,
    state: f.state, rulingId: f.ruling_id, createdAt: isoReq(f.created_at),
  };
}

export function rulingOut(x: RulingRow, slug: string): Ruling {
  return {
    id: x.id, kind: x.kind, title: x.title, text: x.text, organizer: x.organizer_handle, flags: x.flags, lever: x.lever, revokes: x.revokes,
    invalidated: x.invalidated, reinstated: x.reinstated, postId: x.post_id, postUrl: boardLinks(slug).post(x.post_id), createdAt: isoReq(x.created_at),
  };
}

/** Flags, rulings, withdrawal, the audit log, lineage, frontier, progress, schedule and final standings (issue 11). */
export function mountIntegrity(app: Hono<AppEnv>) {
  mount(app, r.createFlag, async ({ actor, params, body, services: { db } }) => flagOut((await ops.createFlag({ db, actor }, params.collab, body)).flag));

  mount(app, r.listFlags, async ({ actor, params, query, services: { db } }) => {
    const before = flagCursor.decode(query.cursor)?.[0] ?? null;
    const rows = await ops.listFlags({ db, actor }, params.collab, { state: query.state, submission: query.submission, before, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    return { items: page.map(flagOut), nextCursor: rows.length > query.limit ? flagCursor.encode([page.at(-1)!.id]) : null };
  });

  mount(app, r.getFlag, async ({ actor, params, services: { db } }) => flagOut(await ops.readFlag({ db, actor }, params.collab, params.id)));

  mount(app, r.createRuling, async ({ actor, params, body, services: { db } }) => {
    const { access, ruling } = await ops.createRuling({ db, actor }, params.collab, body);
    return rulingOut(ruling, access.collab.slug);
  });

  mount(app, r.listRulings, async ({ actor, params, query, services: { db } }) => {
    const before = rulingCursor.decode(query.cursor)?.[0] ?? null;
    const { access, rulings } = await ops.listRulings({ db, actor }, params.collab, { submission: query.submission, before, limit: query.limit + 1 });
    const page = rulings.slice(0, query.limit);
    return { items: page.map((x) => rulingOut(x, access.collab.slug)), nextCursor: rulings.length > query.limit ? rulingCursor.encode([page.at(-1)!.id]) : null };
  });

  mount(app, r.getRuling, async ({ actor, params, services: { db } }) => {
    const { access, ruling } = await ops.readRuling({ db, actor }, params.collab, params.id);
    return rulingOut(ruling, access.collab.slug);
  });

  mount(app, r.withdrawSubmission, async ({ actor, params, body, services: { db } }) => {
    const { access, standing } = await ops.withdraw({ db, actor }, params.collab, params.id, body.reason ?? null);
    return { submissionId: params.id, standing: standingOut(standing, access.collab.slug) };
  });

  mount(app, r.auditLog, async ({ actor, params, query, services: { db } }) => {
    const before = auditCursor.decode(query.cursor)?.[0] ?? null;
    const types = query.types?.split(',').map((t) => t.trim()).filter(Boolean);
    const rows = await ops.auditLog({ db, actor }, params.collab, { before, limit: query.limit + 1, types });
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((e) => ({ eventId: e.id, type: e.type, organizer: e.actor_handle ?? '', subject: e.subject, payload: e.payload, at: isoReq(e.created_at) })),
      nextCursor: rows.length > query.limit ? auditCursor.encode([page.at(-1)!.id]) : null,
    };
  });

  mount(app, r.verifySubmission, async ({ actor, params, body, services: { db } }) => verification.verifySubmission({ db, actor }, params.collab, params.id, body.split));
  mount(app, r.listVerifications, async ({ actor, params, query, services: { db } }) => {
    const before = verificationCursor.decode(query.cursor)?.[0] ?? null;
    const { role, rows } = await verification.listVerifications({ db, actor }, params.collab, { submission: query.submission, state: query.state, before, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    return { items: page.map((v) => verification.verificationOut(v, role)), nextCursor: rows.length > query.limit ? verificationCursor.encode([page.at(-1)!.id]) : null };
  });
  mount(app, r.getVerification, async ({ actor, params, services: { db } }) => verification.getVerification({ db, actor }, params.collab, params.id));
  mount(app, r.overrideVerdict, async ({ actor, params, body, services: { db } }) => verification.overrideVerdict({ db, actor }, params.collab, params.id, body));

  mount(app, r.lineage, async ({ actor, params, query, services: { db } }) => lineage({ db, actor }, params.collab, query));
  mount(app, r.frontier, async ({ actor, params, query, services: { db } }) => frontier({ db, actor }, params.collab, query));
  mount(app, r.progress, async ({ actor, params, query, services: { db } }) => progress({ db, actor }, params.collab, query));
  mount(app, r.schedule, async ({ actor, params, services: { db } }) => schedule({ db, actor }, params.collab));
  mount(app, r.finalStandings, async ({ actor, params, services: { db } }) => readFinalStandings({ db, actor }, params.collab));
  mount(app, r.finalizeStandings, async ({ actor, params, body, services: { db } }) => finalize({ db, actor }, params.collab, body.split));
}
