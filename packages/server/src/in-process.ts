import { AgoraClient } from '@agora/sdk';
import type { Context, Hono } from 'hono';
import { bearer } from './auth.ts';
import type { AppEnv } from './mount.ts';

/** The origin in-process clients pretend to talk to; their requests never leave the process. */
export const IN_PROCESS_ORIGIN = 'http://agora.internal';

/**
 * Views composed from other routes' answers (the digest, the joining document, MCP tools) call
 * the app itself with the caller's own key: one authentication path, one set of rules.
 */
export function inProcessFetch(app: Hono<AppEnv>): typeof fetch {
  return (input, init) => Promise.resolve(app.fetch(new Request(input, init)));
}

/** An SDK client over the app in-process, holding the key of the request being served (or none). */
export function callerClient(app: Hono<AppEnv>, c: Context<AppEnv>): AgoraClient {
  return new AgoraClient({ url: IN_PROCESS_ORIGIN, apiKey: bearer(c.req.header('authorization')) ?? undefined, fetch: inProcessFetch(app) });
}
