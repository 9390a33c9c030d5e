import { z } from 'zod';
import { ChallengeSpec, Slug } from '../schemas/challenge.ts';
import {
  ApiKeyInfo,
  Collaboration,
  CollaborationDetail,
  Handle,
  IssuedKey,
  Label,
  Member,
  Participant,
  RegisterBody,
  Role,
} from '../schemas/identity.ts';
import { Cursor, Limit, Ok, route } from './route.ts';

const CollabParams = z.object({ collab: Slug });

export const identityRoutes = {
  register: route({
    method: 'post', path: '/v1/register', tag: 'identity', auth: 'none', status: 201,
    summary: 'Register a participant with an invite code (or into a collaboration with open registration); the API key is shown once.',
    body: RegisterBody,
    response: z.object({ participant: Participant, key: IssuedKey, memberships: z.array(z.object({ collaboration: z.string(), role: Role })) }),
  }),
  me: route({
    method: 'get', path: '/v1/me', tag: 'identity', auth: 'required',
    summary: 'Who the key belongs to, and where it is a member.',
    response: z.object({ participant: Participant, isAdmin: z.boolean(), keyId: z.string(), memberships: z.array(z.object({ collaboration: z.string(), role: Role })) }),
  }),
  listKeys: route({
    method: 'get', path: '/v1/me/keys', tag: 'identity', auth: 'required',
    summary: 'My API keys (never the secrets).',
    response: z.object({ items: z.array(ApiKeyInfo) }),
  }),
  rotateKey: route({
    method: 'post', path: '/v1/me/keys', tag: 'identity', auth: 'required', status: 201,
    summary: 'Issue a new key; with revokeCurrent the key making the call stops working.',
    body: z.object({ label: Label(100).optional(), expiresInDays: z.number().int().min(1).max(3650).optional(), revokeCurrent: z.boolean().default(false) }),
    response: IssuedKey,
  }),
  revokeKey: route({
    method: 'delete', path: '/v1/me/keys/{keyId}', tag: 'identity', auth: 'required',
    summary: 'Revoke one of my keys.',
    params: z.object({ keyId: z.string().max(64) }),
    response: Ok,
  }),
  createCollaboration: route({
    method: 'post', path: '/v1/collaborations', tag: 'collaborations', auth: 'required', status: 201,
    summary: 'Create a collaboration from a challenge folder on the server (server admins only); the caller becomes its organizer.',
    body: z.object({
      challengeDir: z.string().min(1).max(1000),
      slug: Slug.optional(),
      title: Label(200).optional(),
    }),
    response: CollaborationDetail,
  }),
  listCollaborations: route({
    method: 'get', path: '/v1/collaborations', tag: 'collaborations', auth: 'optional',
    summary: 'Collaborations visible to the caller, oldest first.',
    query: z.object({ limit: Limit(200, 50), cursor: Cursor }),
    response: z.object({ items: z.array(Collaboration), nextCursor: z.string().nullable() }),
  }),
  getCollaboration: route({
    method: 'get', path: '/v1/collaborations/{collab}', tag: 'collaborations', auth: 'optional',
    summary: 'A collaboration with its challenge and rules.',
    params: CollabParams,
    response: CollaborationDetail,
  }),
  updateCollaboration: route({
    method: 'patch', path: '/v1/collaborations/{collab}', tag: 'collaborations', auth: 'required',
    summary: 'Organizers: open or close registration and anonymous observation.',
    params: CollabParams,
    body: z.object({ openRegistration: z.boolean().optional(), anonymousObservers: z.boolean().optional() }),
    response: CollaborationDetail,
  }),
  createInvite: route({
    method: 'post', path: '/v1/collaborations/{collab}/invites', tag: 'collaborations', auth: 'required', status: 201,
    summary: 'Organizers: an invite code (shown once) for a role.',
    params: CollabParams,
    body: z.object({ role: Role.default('participant'), maxUses: z.number().int().min(1).max(10_000).default(1), expiresInHours: z.number().min(1).max(24 * 365).default(24 * 7) }),
    response: z.object({ code: z.string(), role: Role, maxUses: z.number(), expiresAt: z.string() }),
  }),
  join: route({
    method: 'post', path: '/v1/collaborations/{collab}/join', tag: 'collaborations', auth: 'required',
    summary: 'Join another collaboration with an invite code (or freely where registration is open).',
    params: CollabParams,
    body: z.object({ invite: z.string().min(8).max(100).optional() }),
    response: z.object({ collaboration: z.string(), role: Role }),
  }),
  listMembers: route({
    method: 'get', path: '/v1/collaborations/{collab}/members', tag: 'collaborations', auth: 'optional',
    summary: 'Members and their roles, in the order they joined.',
    params: CollabParams,
    query: z.object({ limit: Limit(500, 100), cursor: Cursor }),
    response: z.object({ items: z.array(Member), nextCursor: z.string().nullable() }),
  }),
  setRole: route({
    method: 'patch', path: '/v1/collaborations/{collab}/members/{handle}', tag: 'collaborations', auth: 'required',
    summary: 'Organizers: change a member\'s role.',
    params: z.object({ collab: Slug, handle: Handle }),
    body: z.object({ role: Role }),
    response: Member,
  }),
};
