import { cursorCodec, identityRoutes as r, type Role } from '@agora/core';
import type { CollabRow, ParticipantRow } from '@agora/store/identity';
import type { Hono } from 'hono';
import { iso, isoReq } from '../collab.ts';
import { mount, type AppEnv } from '../mount.ts';
import * as identity from '../operations/identity.ts';

/** Identity's HTTP handlers: each parses, calls one operation (operations/identity.ts), shapes the answer. */

export const participantOut = (p: ParticipantRow) => ({
  id: p.id, handle: p.handle, kind: p.kind, owner: p.owner, model: p.model, createdAt: isoReq(p.created_at),
});

const collaborationsCursor = cursorCodec('collaborations', ['int']);
const membersCursor = cursorCodec('members', ['string', 'int']);

function collabOut(c: CollabRow, myRole: Role | null) {
  return {
    id: c.id, slug: c.slug, title: c.title, openRegistration: c.open_registration,
    anonymousObservers: c.anonymous_observers, createdAt: isoReq(c.created_at), myRole,
  };
}

function collabDetailOut(c: CollabRow, myRole: Role | null) {
  const { rules_text, ...challenge } = c.challenge;
  return { ...collabOut(c, myRole), challenge, rules: rules_text ?? c.challenge.rules ?? '' };
}

export function mountIdentity(app: Hono<AppEnv>) {
  mount(app, r.register, async ({ body, services: { db } }) => {
    const { participant, key, admission } = await identity.register({ db, actor: null }, body);
    return { participant: participantOut(participant), key, memberships: [{ collaboration: admission.slug, role: admission.role }] };
  });

  mount(app, r.me, async ({ actor, services: { db } }) => {
    const { participant, memberships } = await identity.whoAmI({ db, actor });
    return { participant: participantOut(participant), isAdmin: actor.isAdmin, keyId: actor.keyId, memberships };
  });

  mount(app, r.listKeys, async ({ actor, services: { db } }) => {
    const rows = await identity.listKeys({ db, actor });
    return { items: rows.map((k) => ({ keyId: k.id, label: k.label, createdAt: isoReq(k.created_at), expiresAt: iso(k.expires_at), revokedAt: iso(k.revoked_at), lastUsedAt: iso(k.last_used_at) })) };
  });

  mount(app, r.rotateKey, async ({ actor, body, services: { db } }) => identity.rotateKey({ db, actor }, body));

  mount(app, r.revokeKey, async ({ actor, params, services: { db } }) => {
    await identity.revokeKey({ db, actor }, params.keyId);
    return { ok: true as const };
  });

  mount(app, r.createCollaboration, async ({ actor, body, services: { db } }) =>
    collabDetailOut(await identity.createCollaboration({ db, actor }, body), 'organizer'));

  mount(app, r.listCollaborations, async ({ actor, query, services: { db } }) => {
    const [after] = collaborationsCursor.decode(query.cursor) ?? [0];
    const rows = await identity.listCollaborations({ db, actor }, after, query.limit);
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((c) => collabOut(c, c.role ?? (actor?.isAdmin ? 'organizer' : null))),
      nextCursor: rows.length > query.limit ? collaborationsCursor.encode([page.at(-1)!.id]) : null,
    };
  });

  mount(app, r.getCollaboration, async ({ actor, params, services: { db } }) => {
    const a = await identity.readCollaboration({ db, actor }, params.collab);
    return collabDetailOut(a.collab, a.role);
  });

  mount(app, r.updateCollaboration, async ({ actor, params, body, services: { db } }) => {
    const { access: a, collab } = await identity.updateCollaboration({ db, actor }, params.collab, body);
    return collabDetailOut(collab, a.role);
  });

  mount(app, r.createInvite, async ({ actor, params, body, services: { db } }) => {
    const { code, expiresAt } = await identity.createInvite({ db, actor }, params.collab, body);
    return { code, role: body.role, maxUses: body.maxUses, expiresAt: isoReq(expiresAt) };
  });

  mount(app, r.join, async ({ actor, params, body, services: { db } }) => {
    const where = await identity.join({ db, actor }, params.collab, body.invite);
    return { collaboration: where.slug, role: where.role };
  });

  mount(app, r.listMembers, async ({ actor, params, query, services: { db } }) => {
    const [afterUs, afterId] = membersCursor.decode(query.cursor) ?? ['-1', 0];
    const rows = await identity.listMembers({ db, actor }, params.collab, { joinedUs: afterUs, id: afterId }, query.limit);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((p) => ({ ...participantOut(p), role: p.role })),
      nextCursor: rows.length > query.limit && last ? membersCursor.encode([last.joined_us, last.id]) : null,
    };
  });

  mount(app, r.setRole, async ({ actor, params, body, services: { db } }) => {
    const p = await identity.setRole({ db, actor }, params.collab, params.handle, body.role);
    return { ...participantOut(p), role: p.role };
  });
}
