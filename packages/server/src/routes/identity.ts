import { randomBytes } from 'node:crypto';
import { AgoraError, cursorCodec, identityRoutes as r, type Role } from '@agora/core';
import { appendEvent, loadChallengeDir, type Queryable } from '@agora/store';
import type { Hono } from 'hono';
import { hashSecret, issueKey } from '../auth.ts';
import { access, accessAs, iso, isoReq, type CollabRow } from '../collab.ts';
import { mount, type AppEnv } from '../mount.ts';

interface ParticipantRow { id: number; handle: string; kind: 'agent' | 'human'; owner: string; model: string | null; created_at: Date }

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

/** Redeems an invite atomically: the use count never passes max_uses, even under a race. */
async function redeemInvite(tx: Queryable, code: string): Promise<{ collaboration_id: number; role: Role; slug: string }> {
  const [inv] = await tx.query<{ collaboration_id: number; role: Role; slug: string }>(
    `update invites i set uses = uses + 1 from collaborations c
     where i.code_hash = $1 and c.id = i.collaboration_id and i.uses < i.max_uses and (i.expires_at is null or i.expires_at > now())
     returning i.collaboration_id, i.role, c.slug`,
    [hashSecret(code)],
  );
  if (!inv) throw new AgoraError('forbidden', 'invite code is unknown, used up or expired');
  return inv;
}

async function openCollab(tx: Queryable, slug: string): Promise<{ collaboration_id: number; role: Role; slug: string }> {
  const [c] = await tx.query<{ id: number; open_registration: boolean }>('select id, open_registration from collaborations where slug = $1', [slug]);
  if (!c) throw new AgoraError('not_found', `collaboration "${slug}" not found`);
  if (!c.open_registration) throw new AgoraError('forbidden', `collaboration "${slug}" needs an invite code to join`);
  return { collaboration_id: c.id, role: 'participant', slug };
}

export async function addMember(tx: Queryable, collabId: number, participantId: number, role: Role, actorId: number, handle: string) {
  const inserted = await tx.query(
    `insert into memberships (collaboration_id, participant_id, role) values ($1, $2, $3)
     on conflict (collaboration_id, participant_id) do nothing returning role`,
    [collabId, participantId, role],
  );
  if (!inserted.length) throw new AgoraError('conflict', `@${handle} is already a member`);
  await appendEvent(tx, { collaborationId: collabId, actorId, type: 'member.joined', subject: `@${handle}`, payload: { handle, role } });
}

export function mountIdentity(app: Hono<AppEnv>) {
  mount(app, r.register, async ({ body, services: { db } }) => {
    if (!body.invite && !body.collaboration)
      throw new AgoraError('bad_request', 'registration needs an invite code (invite) or the slug of a collaboration with open registration (collaboration)');
    return db.transaction(async (tx) => {
      const where = body.invite ? await redeemInvite(tx, body.invite) : await openCollab(tx, body.collaboration!);
      const [p] = await tx.query<ParticipantRow>(
        `insert into participants (handle, kind, owner, model) values ($1, $2, $3, $4)
         on conflict (handle) do nothing returning *`,
        [body.handle, body.kind, body.owner, body.model ?? null],
      );
      if (!p) throw new AgoraError('conflict', `handle "${body.handle}" is taken`, { field: 'handle' });
      await addMember(tx, where.collaboration_id, p.id, where.role, p.id, p.handle);
      const key = await issueKey(tx, p.id, { label: 'registration' });
      return { participant: participantOut(p), key, memberships: [{ collaboration: where.slug, role: where.role }] };
    });
  });

  mount(app, r.me, async ({ actor, services: { db } }) => {
    const [p] = await db.query<ParticipantRow>('select * from participants where id = $1', [actor.participantId]);
    const memberships = await db.query<{ collaboration: string; role: Role }>(
      'select c.slug as collaboration, m.role from memberships m join collaborations c on c.id = m.collaboration_id where m.participant_id = $1 order by c.slug',
      [actor.participantId],
    );
    return { participant: participantOut(p!), isAdmin: actor.isAdmin, keyId: actor.keyId, memberships };
  });

  mount(app, r.listKeys, async ({ actor, services: { db } }) => {
    const rows = await db.query<{ id: string; label: string | null; created_at: Date; expires_at: Date | null; revoked_at: Date | null; last_used_at: Date | null }>(
      'select * from api_keys where participant_id = $1 order by created_at', [actor.participantId]);
    return { items: rows.map((k) => ({ keyId: k.id, label: k.label, createdAt: isoReq(k.created_at), expiresAt: iso(k.expires_at), revokedAt: iso(k.revoked_at), lastUsedAt: iso(k.last_used_at) })) };
  });

  mount(app, r.rotateKey, async ({ actor, body, services: { db } }) =>
    db.transaction(async (tx) => {
      const key = await issueKey(tx, actor.participantId, { label: body.label ?? 'rotated', expiresInDays: body.expiresInDays ?? null });
      if (body.revokeCurrent) await tx.query('update api_keys set revoked_at = now() where id = $1', [actor.keyId]);
      return key;
    }),
  );

  mount(app, r.revokeKey, async ({ actor, params, services: { db } }) => {
    // Admins may revoke anyone's key; everyone else only their own.
    const rows = await db.query(
      `update api_keys set revoked_at = coalesce(revoked_at, now()) where id = $1 and (participant_id = $2 or $3) returning id`,
      [params.keyId, actor.participantId, actor.isAdmin],
    );
    if (!rows.length) throw new AgoraError('not_found', `key ${params.keyId} not found among your keys`);
    return { ok: true as const };
  });

  mount(app, r.createCollaboration, async ({ actor, body, services: { db } }) => {
    if (!actor.isAdmin) throw new AgoraError('forbidden', 'only server admins create collaborations (the key `agora up` printed is one)');
    const loaded = loadChallengeDir(body.challengeDir);
    const slug = body.slug ?? loaded.spec.id;
    return db.transaction(async (tx) => {
      const [c] = await tx.query<CollabRow>(
        `insert into collaborations (slug, title, challenge, challenge_dir, open_registration, anonymous_observers, created_by)
         values ($1, $2, $3, $4, $5, $6, $7) on conflict (slug) do nothing returning *`,
        [slug, body.title ?? loaded.spec.title, JSON.stringify({ ...loaded.spec, rules_text: loaded.rules }), loaded.dir,
          loaded.spec.registration.open, loaded.spec.registration.anonymous_observers, actor.participantId],
      );
      if (!c) throw new AgoraError('conflict', `a collaboration "${slug}" exists already`);
      await tx.query(`insert into memberships (collaboration_id, participant_id, role) values ($1, $2, 'organizer')`, [c.id, actor.participantId]);
      await appendEvent(tx, { collaborationId: c.id, actorId: actor.participantId, type: 'collaboration.created', subject: slug, payload: { slug, title: c.title } });
      return collabDetailOut(c, 'organizer');
    });
  });

  mount(app, r.listCollaborations, async ({ actor, query, services: { db } }) => {
    const [after] = collaborationsCursor.decode(query.cursor) ?? [0];
    const rows = await db.query<CollabRow & { role: Role | null }>(
      `select c.*, m.role from collaborations c
       left join memberships m on m.collaboration_id = c.id and m.participant_id = $1
       where (c.anonymous_observers or m.role is not null or $2) and c.id > $3 order by c.id limit $4`,
      [actor?.participantId ?? null, actor?.isAdmin ?? false, after, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((c) => collabOut(c, c.role ?? (actor?.isAdmin ? 'organizer' : null))),
      nextCursor: rows.length > query.limit ? collaborationsCursor.encode([page.at(-1)!.id]) : null,
    };
  });

  mount(app, r.getCollaboration, async ({ actor, params, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    return collabDetailOut(a.collab, a.role);
  });

  mount(app, r.updateCollaboration, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'organizer');
    return db.transaction(async (tx) => {
      const [c] = await tx.query<CollabRow>(
        `update collaborations set open_registration = coalesce($2, open_registration), anonymous_observers = coalesce($3, anonymous_observers)
         where id = $1 returning *`,
        [a.collab.id, body.openRegistration ?? null, body.anonymousObservers ?? null],
      );
      await appendEvent(tx, { collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'collaboration.updated', subject: a.collab.slug, payload: body });
      return collabDetailOut(c!, a.role);
    });
  });

  mount(app, r.createInvite, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'organizer');
    const code = `inv_${randomBytes(18).toString('base64url')}`;
    return db.transaction(async (tx) => {
      const [row] = await tx.query<{ expires_at: Date }>(
        `insert into invites (code_hash, collaboration_id, role, max_uses, expires_at, created_by)
         values ($1, $2, $3, $4, now() + make_interval(secs => $5::float8 * 3600), $6) returning expires_at`,
        [hashSecret(code), a.collab.id, body.role, body.maxUses, body.expiresInHours, a.actor.participantId],
      );
      await appendEvent(tx, { collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'invite.created', payload: { role: body.role, maxUses: body.maxUses } });
      return { code, role: body.role, maxUses: body.maxUses, expiresAt: isoReq(row!.expires_at) };
    });
  });

  mount(app, r.join, async ({ actor, params, body, services: { db } }) =>
    db.transaction(async (tx) => {
      const where = body.invite ? await redeemInvite(tx, body.invite) : await openCollab(tx, params.collab);
      if (where.slug !== params.collab) throw new AgoraError('forbidden', `that invite is for "${where.slug}", not "${params.collab}"`);
      await addMember(tx, where.collaboration_id, actor.participantId, where.role, actor.participantId, actor.handle);
      return { collaboration: where.slug, role: where.role };
    }),
  );

  mount(app, r.listMembers, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    // Microseconds since the epoch: a Date would round to milliseconds and repeat rows across pages.
    const [afterUs, afterId] = membersCursor.decode(query.cursor) ?? ['-1', 0];
    if (!/^-?\d{1,18}$/.test(String(afterUs))) throw new AgoraError('validation_failed', 'invalid cursor');
    const rows = await db.query<ParticipantRow & { role: Role; joined_us: string }>(
      `select p.*, m.role, floor(extract(epoch from m.joined_at) * 1000000)::bigint::text as joined_us
       from memberships m join participants p on p.id = m.participant_id
       where m.collaboration_id = $1 and (floor(extract(epoch from m.joined_at) * 1000000)::bigint, p.id) > ($2::bigint, $3::int)
       order by m.joined_at, p.id limit $4`,
      [a.collab.id, afterUs, afterId, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    return {
      items: page.map((p) => ({ ...participantOut(p), role: p.role })),
      nextCursor: rows.length > query.limit && last ? membersCursor.encode([last.joined_us, last.id]) : null,
    };
  });

  mount(app, r.setRole, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'organizer');
    return db.transaction(async (tx) => {
      const [p] = await tx.query<ParticipantRow & { role: Role }>(
        `update memberships m set role = $3 from participants p
         where m.collaboration_id = $1 and p.handle = $2 and m.participant_id = p.id returning p.*, m.role`,
        [a.collab.id, params.handle, body.role],
      );
      if (!p) throw new AgoraError('not_found', `@${params.handle} is not a member of "${params.collab}"`);
      await appendEvent(tx, { collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'member.role_changed', subject: `@${p.handle}`, payload: { handle: p.handle, role: body.role } });
      return { ...participantOut(p), role: p.role };
    });
  });
}
