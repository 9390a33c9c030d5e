import { createHash } from 'node:crypto';
import { AgoraError, type Infer, type RouteDef } from '@agora/core';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { Actor, RunnerActor } from './auth.ts';
import type { Services } from './services.ts';

export type AppEnv = { Variables: { actor: Actor | null; runner: RunnerActor | null; services: Services } };

export interface HandlerCtx<R extends RouteDef> {
  params: Infer<R['params']>;
  query: Infer<R['query']>;
  body: Infer<R['body']>;
  /** Null only on routes whose auth is 'none' or 'optional'. */
  actor: R['auth'] extends 'required' ? Actor : Actor | null;
  /** The calling runner, on routes whose auth is 'runner' (and only there). */
  runner: R['auth'] extends 'runner' ? RunnerActor : null;
  services: Services;
  c: Context<AppEnv>;
}

export const JSON_BODY_LIMIT = 1024 * 1024;
/** Deeper JSON is refused before it is parsed: no API body nests past a few levels. */
export const JSON_DEPTH_LIMIT = 64;

/**
 * Whether JSON text nests arrays and objects deeper than `limit`, by one pass over it. Found by
 * the property tests (issue 12): a body of 10,000 nested arrays, well under the size limit, made
 * the NUL walk below (and would make any recursive reader, PostgreSQL's jsonb among them)
 * overflow the stack: 500.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c) i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > limit) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}

/**
 * Where a NUL character (U+0000) sits in an input, or null. PostgreSQL cannot store it in text or
 * jsonb, and no name, title or body needs it: every route refuses it here, before any schema or
 * query sees it (issue 12: it used to reach the database and come back as 500).
 */
export function findNul(input: unknown, path: string[] = []): string[] | null {
  if (typeof input === 'string') return input.includes('\u0000') ? path : null;
  if (Array.isArray(input)) {
    for (let i = 0; i < input.length; i++) {
      const at = findNul(input[i], [...path, String(i)]);
      if (at) return at;
    }
    return null;
  }
  if (input && typeof input === 'object') {
    for (const [k, v] of Object.entries(input)) {
      if (k.includes('\u0000')) return [...path, JSON.stringify(k)];
      const at = findNul(v, [...path, k]);
      if (at) return at;
    }
  }
  return null;
}

function validate<T extends z.ZodType>(schema: T, input: unknown, where: string, refuseNul: boolean): z.infer<T> {
  const nulAt = refuseNul ? findNul(input) : null;
  if (nulAt) {
    const path = [where, ...nulAt].join('.');
    throw new AgoraError('validation_failed', `invalid ${where}: ${path}: text may not contain control characters such as NUL (\\u0000)`, {
      issues: [{ path, message: 'NUL character (\\u0000) in text', code: 'nul_character' }],
    });
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message, code: i.code }));
  const first = issues[0]!;
  throw new AgoraError('validation_failed', `invalid ${where}: ${first.path}: ${first.message}`, { issues });
}

/**
 * The request body, refused (413) as soon as more than `limit` bytes arrived: a chunked body
 * without Content-Length is not read in full first. The connection is closed after the answer,
 * so the rest of the body is never read.
 */
async function readAtMost(req: Request, limit: number): Promise<Uint8Array> {
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      reader.releaseLock();
      throw tooLarge(limit);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new AgoraError('unsupported_media_type', 'send the body as JSON with content-type: application/json');
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > JSON_BODY_LIMIT) throw tooLarge(JSON_BODY_LIMIT);
  const buf = await readAtMost(c.req.raw, JSON_BODY_LIMIT);
  // Bytes that are not UTF-8 are refused, not replaced by U+FFFD: a client's encoding bug surfaces
  // at once instead of changing what it wrote (decision 0082).
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    throw new AgoraError('bad_request', 'the JSON body is not valid UTF-8');
  }
  if (!text.trim()) return {};
  if (nestsDeeperThan(text, JSON_DEPTH_LIMIT)) throw new AgoraError('bad_request', `the JSON body nests deeper than ${JSON_DEPTH_LIMIT} levels`, { limit: JSON_DEPTH_LIMIT });
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new AgoraError('bad_request', `malformed JSON: ${(err as Error).message}`);
  }
}

export const tooLarge = (limit: number) =>
  new AgoraError('payload_too_large', `request body is over the limit of ${limit} bytes`, { limit });

/** Mounts a declared route: validates path, query and body, checks auth, shapes the response. */
export function mount<R extends RouteDef>(
  app: Hono<AppEnv>,
  def: R,
  handler: (ctx: HandlerCtx<R>) => Promise<Infer<R['response']> | Response>,
): void {
  const path = def.path.replace(/\{(\w+)\}/g, ':$1');
  app.on(def.method.toUpperCase(), path, async (c) => {
    const actor = c.get('actor');
    if (def.auth === 'required' && !actor) throw new AgoraError('unauthorized', 'this route needs an API key: Authorization: Bearer agora_...');
    const runner = c.get('runner');
    if (def.auth === 'runner' && !runner) throw new AgoraError('unauthorized', 'this route needs a runner token: Authorization: Bearer agora_runner_...');
    if (def.auth !== 'runner' && runner) throw new AgoraError('unauthorized', 'a runner token works only on the /v1/runner routes');
    // Runners relay what a submission printed (log lines may hold NUL): their schemas clean it instead.
    const refuseNul = def.auth !== 'runner';
    const params = def.params ? validate(def.params, c.req.param(), 'path', refuseNul) : undefined;
    const query = def.query ? validate(def.query, c.req.query(), 'query', refuseNul) : undefined;
    const body = def.body && !def.rawBody ? validate(def.body, await readJson(c), 'body', refuseNul) : undefined;
    const out = await handler({ params, query, body, actor, runner, services: c.get('services'), c } as HandlerCtx<R>);
    if (out instanceof Response) return out;
    // Parsing the response strips any field the schema does not name: nothing leaks by accident.
    const shaped = def.response.parse(out) as object;
    if (def.method !== 'get') return c.json(shaped, (def.status ?? 200) as 200);
    return conditionalJson(c, JSON.stringify(shaped));
  });
}

/**
 * Reads that agents poll answer with an ETag of the body; a client sending it back in
 * If-None-Match gets 304 and no body when nothing changed. The tag is computed from what this
 * caller would receive, so it can never reveal another caller's view.
 */
function conditionalJson(c: Context<AppEnv>, body: string): Response {
  const etag = `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const sent = c.req.header('if-none-match');
  if (sent && sent.split(',').some((t) => t.trim() === etag || t.trim() === '*'))
    return c.body(null, 304, { etag, 'cache-control': 'private, no-cache' });
  return c.body(body, 200, { 'content-type': 'application/json', etag, 'cache-control': 'private, no-cache' });
}
