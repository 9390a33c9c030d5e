import { z } from 'zod';

/**
 * One route of the HTTP API, declared once: the server mounts it, the SDK calls it, the CLI and
 * MCP wrap the SDK, and /openapi.json is generated from it. Paths use `{name}` parameters.
 */
export interface RouteDef<
  P extends z.ZodType = z.ZodType,
  Q extends z.ZodType = z.ZodType,
  B extends z.ZodType = z.ZodType,
  R extends z.ZodType = z.ZodType,
  A extends Auth = Auth,
> {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  tag: string;
  /** none: no key needed; optional: anonymous observers allowed where the collaboration permits; required: a valid key; runner: a runner token. */
  auth: A;
  params?: P;
  query?: Q;
  body?: B;
  response: R;
  /** Success status; 200 unless said. */
  status?: number;
  /** Non-JSON request bodies (uploads) declare their media type; the body schema is then unused. */
  rawBody?: string;
  /** Non-JSON answers (downloads, files, markdown) declare their media type; the response schema is then unused. */
  rawResponse?: string;
}

export type Auth = 'none' | 'optional' | 'required' | 'runner';
export type Infer<T> = [Exclude<T, undefined>] extends [z.ZodType] ? z.infer<Exclude<T, undefined>> : undefined;
export type InferIn<T> = [Exclude<T, undefined>] extends [z.ZodType] ? z.input<Exclude<T, undefined>> : undefined;

export function route<
  P extends z.ZodType = z.ZodUndefined,
  Q extends z.ZodType = z.ZodUndefined,
  B extends z.ZodType = z.ZodUndefined,
  R extends z.ZodType = z.ZodType,
  A extends Auth = Auth,
>(def: RouteDef<P, Q, B, R, A>): RouteDef<P, Q, B, R, A> {
  return def;
}

/** Query strings arrive as text: these coerce and bound the usual shapes. */
export const Limit = (max = 200, def = 50) => z.coerce.number().int().min(1).max(max).default(def);
export const Cursor = z.string().max(200).optional();
export const IdParam = z.coerce.number().int().positive().max(2_147_483_647);

export const Page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const Ok = z.object({ ok: z.literal(true) });

export const ErrorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown() }),
});
