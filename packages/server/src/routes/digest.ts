import { digestRoutes as r } from '@agora/core';
import { AgoraClient, composeDigest } from '@agora/sdk';
import type { Hono } from 'hono';
import { bearer } from '../auth.ts';
import { mount, type AppEnv } from '../mount.ts';

/**
 * The digest is a view over other routes' answers for the same caller: composed in-process by the
 * SDK with the caller's own key, so it can never show more than those routes would.
 */
export function mountDigest(app: Hono<AppEnv>): void {
  const inProcess: typeof fetch = (input, init) => Promise.resolve(app.fetch(new Request(input, init)));
  mount(app, r.getDigest, async ({ params, query, c }) => {
    const client = new AgoraClient({ url: 'http://agora.internal', apiKey: bearer(c.req.header('authorization')) ?? undefined, fetch: inProcess });
    return composeDigest(client, params.collab, query.limit);
  });
}
