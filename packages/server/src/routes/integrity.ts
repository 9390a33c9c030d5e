import { AgoraError, cursorCodec, integrityRoutes as r, mayReadFlag } from '@agora/core';
import { flagById, listFlags, listRulings, organizerEvents, rulingById } from '@agora/store';
import type { Hono } from 'hono';
import { access, accessAs, isoReq } from '../collab.ts';
import { createFlag, createRuling, flagOut, rulingOut, withdraw } from '../integrity/rulings.ts';
import { finalize, readFinalStandings, scheduleOut } from '../integrity/standings.ts';
import { frontier, lineage, progress } from '../integrity/views.ts';
import { mount, type AppEnv } from '../mount.ts';

const flagCursor = cursorCodec('flags', ['int']);
const rulingCursor = cursorCodec('rulings', ['int']);
const auditCursor = cursorCodec('audit', ['int']);

/** Flags, rulings, withdrawal, the audit log, lineage, frontier, progress, schedule and final standings (issue 11). */
export function mountIntegrity(app: Hono<AppEnv>) {
  mount(app, r.createFlag, async ({ actor, params, body, services: { db } }) =>
    createFlag(db, await accessAs(db, params.collab, actor, 'participant'), body));

  mount(app, r.listFlags, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const before = flagCursor.decode(query.cursor)?.[0] ?? null;
    const rows = await listFlags(db, a.collab.id, {
      state: query.state, submission: query.submission, before, limit: query.limit + 1,
      reporterId: a.role === 'organizer' ? undefined : actor.participantId,
    });
    const page = rows.slice(0, query.limit);
    return { items: page.map(flagOut), nextCursor: rows.length > query.limit ? flagCursor.encode([page.at(-1)!.id]) : null };
  });

  mount(app, r.getFlag, async ({ actor, params, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const f = await flagById(db, a.collab.id, params.id);
    if (!f) throw new AgoraError('not_found', `flag #f${params.id} not found in this collaboration`, { flag: params.id });
    if (!mayReadFlag(a.role, actor.participantId, f.reporter_id)) throw new AgoraError('forbidden', 'a flag is for the organizers and its reporter');
    return flagOut(f);
  });

  mount(app, r.createRuling, async ({ actor, params, body, services: { db } }) =>
    createRuling(db, await accessAs(db, params.collab, actor, 'organizer'), body));

  mount(app, r.listRulings, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const before = rulingCursor.decode(query.cursor)?.[0] ?? null;
    const rows = await listRulings(db, a.collab.id, { submission: query.submission, before, limit: query.limit + 1 });
    const page = rows.slice(0, query.limit);
    return { items: page.map((x) => rulingOut(x, a.collab.slug)), nextCursor: rows.length > query.limit ? rulingCursor.encode([page.at(-1)!.id]) : null };
  });

  mount(app, r.getRuling, async ({ actor, params, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const row = await rulingById(db, a.collab.id, params.id);
    if (!row) throw new AgoraError('not_found', `ruling ${params.id} not found in this collaboration`, { ruling: params.id });
    return rulingOut(row, a.collab.slug);
  });

  mount(app, r.withdrawSubmission, async ({ actor, params, body, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    return { submissionId: params.id, standing: await withdraw(db, { ...a, actor }, params.id, body.reason ?? null) };
  });

  mount(app, r.auditLog, async ({ actor, params, query, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'organizer');
    const before = auditCursor.decode(query.cursor)?.[0] ?? null;
    const types = query.types?.split(',').map((t) => t.trim()).filter(Boolean);
    const rows = await organizerEvents(db, a.collab.id, { before, limit: query.limit + 1, types });
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((e) => ({ eventId: e.id, type: e.type, organizer: e.actor_handle ?? '', subject: e.subject, payload: e.payload, at: isoReq(e.created_at) })),
      nextCursor: rows.length > query.limit ? auditCursor.encode([page.at(-1)!.id]) : null,
    };
  });

  mount(app, r.lineage, async ({ actor, params, query, services: { db } }) => lineage(db, await access(db, params.collab, actor), query));
  mount(app, r.frontier, async ({ actor, params, query, services: { db } }) => frontier(db, await access(db, params.collab, actor), query));
  mount(app, r.progress, async ({ actor, params, query, services: { db } }) => progress(db, await access(db, params.collab, actor), query));
  mount(app, r.schedule, async ({ actor, params, services: { db } }) => scheduleOut(await access(db, params.collab, actor)));
  mount(app, r.finalStandings, async ({ actor, params, services: { db } }) => readFinalStandings(db, await access(db, params.collab, actor)));
  mount(app, r.finalizeStandings, async ({ actor, params, body, services: { db } }) =>
    finalize(db, await accessAs(db, params.collab, actor, 'organizer'), body.split));
}
