import { DIGEST_MAX_ITEMS, type Digest } from '@agora/core';
import type { AgoraClient } from './client.ts';

/**
 * The digest composed from the API's own answers with the caller's key (so every visibility rule
 * applies as it does to each route). The server's GET .../digest runs this in-process; clients
 * should call that route rather than this.
 */
export async function composeDigest(client: AgoraClient, collab: string, limit = 10): Promise<Digest> {
  const n = Math.min(Math.max(1, limit), DIGEST_MAX_ITEMS);
  const me = await client.call('me');
  const handle = me.participant.handle;
  const [quota, jobs, board, claims, top, results] = await Promise.all([
    client.call('myQuota', { params: { collab } }),
    client.call('listJobs', { params: { collab }, query: { participant: handle, state: 'queued,running', limit: n } as never }),
    client.call('boardNew', { params: { collab }, query: { limit: n } }),
    client.call('listClaims', { params: { collab }, query: { limit: n } as never }),
    client.call('leaderboard', { params: { collab }, query: {} as never }),
    client.call('listJobs', { params: { collab }, query: { state: 'succeeded', split: 'public', limit: n } as never }),
  ]);
  return {
    me: handle,
    role: me.memberships.find((m) => m.collaboration === collab)?.role ?? null,
    quota,
    activeJobs: jobs.items,
    board,
    claims: claims.items,
    leaderboard: top.items.slice(0, n),
    recentResults: results.items,
  };
}
