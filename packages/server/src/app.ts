import { AgoraError, errorStatus, type ErrorCode } from '@agora/core';
import { AgoraApiError } from '@agora/sdk';
import { Hono } from 'hono';
import { authenticate, authenticateRunner, bearer, isRunnerToken } from './auth.ts';
import { AuthThrottle } from './auth-throttle.ts';
import type { AppEnv } from './mount.ts';
import { openApiDocument } from './openapi.ts';
import { mountAnalytics } from './routes/analytics.ts';
import { mountBoard } from './routes/board.ts';
import { mountWeb } from './routes/web.ts';
import { mountChallenge } from './routes/challenge.ts';
import { mountEvents } from './routes/events.ts';
import { mountAdmin } from './routes/admin.ts';
import { mountIdentity } from './routes/identity.ts';
import { mountIntegrity } from './routes/integrity.ts';
import { mountJobs } from './routes/jobs.ts';
import { mountLeaderboard } from './routes/leaderboard.ts';
import { mountRunner } from './routes/runner.ts';
import { mountKb } from './routes/kb.ts';
import { mountMcp } from './routes/mcp.ts';
import { mountClaims } from './routes/claims.ts';
import { mountDigest } from './routes/digest.ts';
import { mountJoin } from './routes/join.ts';
import { mountSubmissions } from './routes/submissions.ts';
import type { Services } from './services.ts';

export const VERSION = '0.1.0';

/** Each area of the API mounts its routes; see routes/. */
const areas: Array<(app: Hono<AppEnv>) => void> = [mountIdentity, mountEvents, mountKb, mountBoard, mountJobs, mountLeaderboard, mountRunner, mountSubmissions, mountChallenge, mountIntegrity, mountClaims, mountDigest, mountJoin, mountAnalytics, mountAdmin, mountMcp, mountWeb];

/**
 * A refusal sent before the request body was read (wrong offset, not yours, too large) would
 * make the server drop the connection while the client is still sending, which clients report
 * as "other side closed" instead of the answer. Reading and discarding a modest body first lets
 * the typed error arrive; past the cap the connection is closed after the answer.
 */
const DISCARD_CAP = 16 * 1024 * 1024;
async function discardUnreadBody(req: Request): Promise<void> {
  if (!req.body || req.bodyUsed) return;
  const declared = Number(req.headers.get('content-length') ?? 'NaN');
  if (!(declared <= DISCARD_CAP)) return;
  try {
    const reader = req.body.getReader();
    for (let seen = 0; seen <= DISCARD_CAP; ) {
      const { done, value } = await reader.read();
      if (done) return;
      seen += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // Locked or already errored: nothing more to do.
  }
}

/** PostgreSQL errors that are the caller's doing, should one slip past validation. */
const pgErrors: Record<string, [ErrorCode, string]> = {
  '23505': ['conflict', 'that already exists'],
  '23503': ['not_found', 'a referenced record does not exist'],
  '22001': ['validation_failed', 'a value is too long'],
  '22P02': ['validation_failed', 'a value has the wrong format'],
  '22003': ['validation_failed', 'a number is out of range'],
  '40001': ['conflict', 'a concurrent change got there first; try again'],
  // Text with NUL (0x00) or bytes that are not UTF-8; jsonb with \u0000. The schemas refuse NUL first (mount.ts).
  '22021': ['validation_failed', 'a text value holds a NUL character (0x00) or bytes that are not UTF-8, which the database cannot store'],
  '22P05': ['validation_failed', 'a JSON value holds \\u0000 (NUL), which the database cannot store'],
};

/**
 * Seconds a refused caller should wait (Retry-After on every 429): what the refusal says, else
 * until `nextFreesAt`, else a minute (limits freed by the caller's own action, such as completing an upload).
 */
export function retryAfterSeconds(details: unknown, now = Date.now()): number {
  const d = (details ?? {}) as { retryAfterSeconds?: unknown; nextFreesAt?: unknown };
  if (typeof d.retryAfterSeconds === 'number' && Number.isFinite(d.retryAfterSeconds)) return Math.max(1, Math.ceil(d.retryAfterSeconds));
  const at = typeof d.nextFreesAt === 'string' ? Date.parse(d.nextFreesAt) : NaN;
  if (Number.isFinite(at)) return Math.max(1, Math.ceil((at - now) / 1000));
  return 60;
}

/** The database's refusal of the caller's input as a typed error, or null for anything else. */
export function databaseRefusal(err: unknown): AgoraError | null {
  const pgCode = (err as { code?: unknown } | null)?.code;
  const known = typeof pgCode === 'string' ? pgErrors[pgCode] : undefined;
  return known ? new AgoraError(known[0], known[1]) : null;
}

export function createApp(services: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const throttle = new AuthThrottle();
  app.use('*', async (c, next) => {
    c.set('services', services);
    const key = bearer(c.req.header('authorization'));
    const address = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? 'in-process';
    if (key) throttle.check(address);
    // A key that is present but bad is refused even where no key is needed: silent downgrade to anonymous would hide mistakes.
    let runner: Awaited<ReturnType<typeof authenticateRunner>> | null = null;
    let actor: Awaited<ReturnType<typeof authenticate>> | null = null;
    try {
      if (key && isRunnerToken(key)) runner = await authenticateRunner(services.db, key);
      else if (key) actor = await authenticate(services.db, key);
    } catch (err) {
      if (err instanceof AgoraError && err.code === 'unauthorized') throttle.failed(address);
      throw err;
    }
    c.set('runner', runner);
    // Runner tokens open the /v1/runner routes and nothing else; the stream routes, mounted by hand, included.
    if (runner && !c.req.path.startsWith('/v1/runner/')) throw new AgoraError('unauthorized', 'a runner token works only on the /v1/runner routes');
    c.set('actor', actor);
    await next();
  });

  app.get('/healthz', (c) => c.json({ ok: true, version: VERSION, engine: services.db.engine }));
  app.get('/openapi.json', (c) => c.json(openApiDocument(VERSION, new URL(c.req.url).origin)));
  for (const mountArea of areas) mountArea(app);

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `no route ${c.req.method} ${c.req.path}`, details: null } }, 404));
  app.onError(async (err, c) => {
    await discardUnreadBody(c.req.raw);
    if (err instanceof AgoraError) {
      if (err.status === 429) c.header('retry-after', String(retryAfterSeconds(err.details)));
      // A body refused as too large may still be arriving: close the connection rather than read the rest.
      if (err.status === 413) c.header('connection', 'close');
      return c.json({ error: { code: err.code, message: err.message, details: err.details } }, err.status as 400);
    }
    // A view composed from in-process calls (the digest, the joining documents) relays a route's
    // typed refusal as that route gave it: a missing collaboration is a 404 there too, not 500
    // (found by the property tests, issue 12).
    if (err instanceof AgoraApiError && err.status < 500 && err.code in errorStatus) {
      if (err.status === 429) c.header('retry-after', String(retryAfterSeconds(err.details)));
      return c.json({ error: { code: err.code, message: err.message, details: err.details } }, err.status as 400);
    }
    const refusal = databaseRefusal(err);
    if (refusal) return c.json({ error: { code: refusal.code, message: refusal.message, details: null } }, refusal.status as 400);
    // Unexpected errors: the message may name server paths or private data, so the caller gets an id to report instead.
    const ref = Math.random().toString(36).slice(2, 10);
    console.error(`[agora] internal error ${ref} on ${c.req.method} ${c.req.path}:`, err);
    return c.json({ error: { code: 'internal', message: `internal error (reference ${ref}); the server log has the details`, details: { ref } } }, 500);
  });
  return app;
}
