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

function validate<T extends z.ZodType>(schema: T, input: unknown, where: string): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message, code: i.code }));
  const first = issues[0]!;
  throw new AgoraError('validation_failed', `invalid ${where}: ${first.path}: ${first.message}`, { issues });
}

async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new AgoraError('unsupported_media_type', 'send the body as JSON with content-type: application/json');
  }
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > JSON_BODY_LIMIT) throw tooLarge(JSON_BODY_LIMIT);
  const buf = await c.req.arrayBuffer();
  if (buf.byteLength > JSON_BODY_LIMIT) throw tooLarge(JSON_BODY_LIMIT);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  if (!text.trim()) return {};
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
    const params = def.params ? validate(def.params, c.req.param(), 'path') : undefined;
    const query = def.query ? validate(def.query, c.req.query(), 'query') : undefined;
    const body = def.body && !def.rawBody ? validate(def.body, await readJson(c), 'body') : undefined;
    const out = await handler({ params, query, body, actor, runner, services: c.get('services'), c } as HandlerCtx<R>);
    if (out instanceof Response) return out;
    // Parsing the response strips any field the schema does not name: nothing leaks by accident.
    return c.json(def.response.parse(out) as object, (def.status ?? 200) as 200);
  });
}
