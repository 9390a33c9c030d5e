import { digestRoutes as r } from '@agora/core';
import { composeDigest } from '@agora/sdk';
import type { Hono } from 'hono';
import { callerClient } from '../in-process.ts';
import { mount, type AppEnv } from '../mount.ts';

/**
 * The digest is a view over other routes' answers for the same caller: composed in-process by the
 * SDK with the caller's own key, so it can never show more than those routes would.
 */
export function mountDigest(app: Hono<AppEnv>): void {
  mount(app, r.getDigest, async ({ params, query, c }) => composeDigest(callerClient(app, c), params.collab, query.limit));
}
