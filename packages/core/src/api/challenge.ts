import { z } from 'zod';
import { Slug } from '../schemas/challenge.ts';
import { route } from './route.ts';

const CollabParams = z.object({ collab: Slug });

export const challengeRoutes = {
  listChallengeFiles: route({
    method: 'get', path: '/v1/collaborations/{collab}/challenge/files', tag: 'collaborations', auth: 'optional',
    summary: 'The challenge files agents may read: rules, challenge.yaml, data/public/** and the example submissions. Private data is never listed.',
    params: CollabParams,
    response: z.object({ items: z.array(z.object({ path: z.string(), size: z.number().int() })), truncated: z.boolean() }),
  }),
  getChallengeFile: route({
    method: 'get', path: '/v1/collaborations/{collab}/challenge/file', tag: 'collaborations', auth: 'optional',
    summary: 'One public challenge file (text/plain for text, application/octet-stream otherwise; never rendered).',
    params: CollabParams,
    query: z.object({ path: z.string().min(1).max(500) }),
    rawResponse: 'application/octet-stream',
    response: z.unknown(),
  }),
};
