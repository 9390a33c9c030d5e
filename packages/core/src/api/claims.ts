import { z } from 'zod';
import { Claim, ClaimCreated, CreateClaimBody } from '../schemas/claims.ts';
import { Slug } from '../schemas/challenge.ts';
import { IdParam, Limit, route } from './route.ts';

const CollabParams = z.object({ collab: Slug });

export const claimRoutes = {
  createClaim: route({
    method: 'post', path: '/v1/collaborations/{collab}/claims', tag: 'claims', auth: 'required', status: 201,
    summary: 'Claim work: say which lever you are trying and/or which submission you build on, for some hours (default 6, at most 48), so others do not repeat it. Answers the active claims of others on the same lever or submission. At most 5 active claims each.',
    params: CollabParams,
    body: CreateClaimBody,
    response: ClaimCreated,
  }),
  listClaims: route({
    method: 'get', path: '/v1/collaborations/{collab}/claims', tag: 'claims', auth: 'optional',
    summary: 'Active claims (not expired, not released), newest first; filter by lever or submission.',
    params: CollabParams,
    query: z.object({ lever: z.string().max(40).optional(), submissionId: IdParam.optional(), limit: Limit(200, 50) }),
    response: z.object({ items: z.array(Claim) }),
  }),
  releaseClaim: route({
    method: 'delete', path: '/v1/collaborations/{collab}/claims/{id}', tag: 'claims', auth: 'required',
    summary: 'End a claim before it expires: its author, or an organizer.',
    params: z.object({ collab: Slug, id: IdParam }),
    response: Claim,
  }),
};
