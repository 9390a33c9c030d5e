import { randomBytes } from 'node:crypto';
import { AgoraError, type Role } from '@agora/core';
import { appendEvent, loadChallengeDir, type Queryable } from '@agora/store';
import * as store from '@agora/store/identity';
import type { Admission, CollabRow, ParticipantRow } from '@agora/store/identity';
import { hashSecret, issueKey, type Actor } from '../auth.ts';
import { access, accessAs, type CollabAccess } from '../collab.ts';
import type { OperationCtx } from './board.ts';
import { checkWriteRate } from './write-rate.ts';

/** Identity operations: registration, keys, collaborations, invites, members (layering: decision 0074). */

async function redeemInvite(tx: Queryable, code: string): Promise<Admission> {
  const inv = await store.useInvite(tx, hashSecret(code));
  if (!inv) throw new AgoraError('forbidden', 'invite code is unknown, used up or expired');
  return inv;
}

async function openRegistration(tx: Queryable, slug: string): Promise<Admission> {
  const c = await store.findCollaborationBySlug(tx, slug);
  if (!c) throw new AgoraError('not_found', `collaboration "${slug}" not found`);
  if (!c.open_registration) throw new AgoraError('forbidden', `collaboration "${slug}" needs an invite code to join`);
  return { collaboration_id: c.id, role: 'participant', slug };
}

export async function addMember(tx: Queryable, collabId: number, participantId: number, role: Role, actorId: number, handle: string) {
  if (!(await store.insertMembership(tx, collabId, participantId, role))) throw new AgoraError('conflict', `@${handle} is already a member`);
  await appendEvent(tx, { collaborationId: collabId, actorId, type: 'member.joined', subject: `@${handle}`, payload: { handle, role } });
}

export async function register(
  { db }: OperationCtx,
  input: { invite?: string; collaboration?: string; handle: string; kind: 'agent' | 'human'; owner: string; model?: string | null },
): Promise<{ participant: ParticipantRow; key: Awaited<ReturnType<typeof issueKey>>; admission: Admission }> {
  if (!input.invite && !input.collaboration)
    throw new AgoraError('bad_request', 'registration needs an invite code (invite) or the slug of a collaboration with open registration (collaboration)');
  return db.transaction(async (tx) => {
    const admission = input.invite ? await redeemInvite(tx, input.invite) : await openRegistration(tx, input.collaboration!);
    const participant = await store.insertParticipant(tx, { handle: input.handle, kind: input.kind, owner: input.owner, model: input.model ?? null });
    if (!participant) throw new AgoraError('conflict', `handle "${input.handle}" is taken`, { field: 'handle' });
    await addMember(tx, admission.collaboration_id, participant.id, admission.role, participant.id, participant.handle);
    const key = await issueKey(tx, participant.id, { label: 'registration' });
    return { participant, key, admission };
  });
}

export async function whoAmI({ db, actor }: OperationCtx & { actor: Actor }) {
  const participant = await store.findParticipant(db, actor.participantId);
  return { participant: participant!, memberships: await store.membershipsOf(db, actor.participantId) };
}

export const listKeys = ({ db, actor }: OperationCtx & { actor: Actor }) => store.listApiKeys(db, actor.participantId);

export async function rotateKey({ db, actor }: OperationCtx & { actor: Actor }, input: { label?: string; expiresInDays?: number; revokeCurrent?: boolean }) {
  return db.transaction(async (tx) => {
    await checkWriteRate(tx, 'apiKey', { participantId: actor.participantId, collabId: null });
    const key = await issueKey(tx, actor.participantId, { label: input.label ?? 'rotated', expiresInDays: input.expiresInDays ?? null });
    if (input.revokeCurrent) await store.revokeApiKey(tx, actor.keyId);
    return key;
  });
}

/** Admins may revoke anyone's key; everyone else only their own. */
export async function revokeKey({ db, actor }: OperationCtx & { actor: Actor }, keyId: string): Promise<void> {
  if (!(await store.revokeOwnApiKey(db, keyId, actor))) throw new AgoraError('not_found', `key ${keyId} not found among your keys`);
}

export async function createCollaboration({ db, actor }: OperationCtx & { actor: Actor }, input: { challengeDir: string; slug?: string; title?: string }): Promise<CollabRow> {
  if (!actor.isAdmin) throw new AgoraError('forbidden', 'only server admins create collaborations (the key `agora up` printed is one)');
  const loaded = loadChallengeDir(input.challengeDir);
  const slug = input.slug ?? loaded.spec.id;
  return db.transaction(async (tx) => {
    const c = await store.insertCollaboration(tx, {
      slug, title: input.title ?? loaded.spec.title, challenge: { ...loaded.spec, rules_text: loaded.rules }, challengeDir: loaded.dir,
      openRegistration: loaded.spec.registration.open, anonymousObservers: loaded.spec.registration.anonymous_observers, createdBy: actor.participantId,
    });
    if (!c) throw new AgoraError('conflict', `a collaboration "${slug}" exists already`);
    await store.insertMembership(tx, c.id, actor.participantId, 'organizer');
    await appendEvent(tx, { collaborationId: c.id, actorId: actor.participantId, type: 'collaboration.created', subject: slug, payload: { slug, title: c.title } });
    return c;
  });
}

export const listCollaborations = ({ db, actor }: OperationCtx, afterId: number, limit: number) =>
  store.listVisibleCollaborations(db, { participantId: actor?.participantId ?? null, isAdmin: actor?.isAdmin ?? false }, afterId, limit + 1);

export const readCollaboration = ({ db, actor }: OperationCtx, slug: string): Promise<CollabAccess> => access(db, slug, actor);

export async function updateCollaboration(
  { db, actor }: OperationCtx,
  slug: string,
  input: { openRegistration?: boolean; anonymousObservers?: boolean },
): Promise<{ access: CollabAccess; collab: CollabRow }> {
  const a = await accessAs(db, slug, actor, 'organizer');
  const collab = await db.transaction(async (tx) => {
    const c = await store.updateCollaborationSettings(tx, a.collab.id, { openRegistration: input.openRegistration ?? null, anonymousObservers: input.anonymousObservers ?? null });
    await appendEvent(tx, { collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'collaboration.updated', subject: a.collab.slug, payload: input });
    return c;
  });
  return { access: a, collab };
}

export async function createInvite(
  { db, actor }: OperationCtx,
  slug: string,
  input: { role: Role; maxUses: number; expiresInHours: number },
): Promise<{ code: string; expiresAt: Date }> {
  const a = await accessAs(db, slug, actor, 'organizer');
  const code = `inv_${randomBytes(18).toString('base64url')}`;
  return db.transaction(async (tx) => {
    const row = await store.insertInvite(tx, { codeHash: hashSecret(code), collaborationId: a.collab.id, ...input, createdBy: a.actor.participantId });
    await appendEvent(tx, { collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'invite.created', payload: { role: input.role, maxUses: input.maxUses } });
    return { code, expiresAt: row.expires_at };
  });
}

export async function join({ db, actor }: OperationCtx & { actor: Actor }, slug: string, invite: string | undefined): Promise<Admission> {
  return db.transaction(async (tx) => {
    const where = invite ? await redeemInvite(tx, invite) : await openRegistration(tx, slug);
    if (where.slug !== slug) throw new AgoraError('forbidden', `that invite is for "${where.slug}", not "${slug}"`);
    await addMember(tx, where.collaboration_id, actor.participantId, where.role, actor.participantId, actor.handle);
    return where;
  });
}

export async function listMembers({ db, actor }: OperationCtx, slug: string, after: { joinedUs: string; id: number }, limit: number) {
  const a = await access(db, slug, actor);
  if (!/^-?\d{1,18}$/.test(after.joinedUs)) throw new AgoraError('validation_failed', 'invalid cursor');
  return store.listMembers(db, a.collab.id, after, limit + 1);
}

export async function setRole({ db, actor }: OperationCtx, slug: string, handle: string, role: Role) {
  const a = await accessAs(db, slug, actor, 'organizer');
  return db.transaction(async (tx) => {
    const p = await store.setMemberRole(tx, a.collab.id, handle, role);
    if (!p) throw new AgoraError('not_found', `@${handle} is not a member of "${slug}"`);
    await appendEvent(tx, { collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'member.role_changed', subject: `@${p.handle}`, payload: { handle: p.handle, role } });
    return p;
  });
}
