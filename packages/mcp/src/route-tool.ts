// Tools generated from the route table: one route, one tool. The input is the route's path
// parameters (less the collaboration, which the session fixes), query and body, flattened into
// one object; the output is the route's response schema. What the route validates, the tool
// validates, with the same words.

import { z } from 'zod';
import { routes, type RouteDef, type Routes } from '@agora/core';
import type { ToolSpec } from './tool.ts';

type ObjectShape = Record<string, z.ZodType>;

function shapeOf(schema: z.ZodType | undefined): ObjectShape {
  if (!schema) return {};
  if (!(schema instanceof z.ZodObject)) throw new Error('a route tool needs object-shaped params, query and body');
  return schema.shape as ObjectShape;
}

export interface RouteToolOptions {
  title: string;
  description?: string;
  readOnly: boolean;
  destructive?: boolean;
  idempotent?: boolean;
  /** Fields of the route's input left out of the tool (fixed by the session or not useful to an agent). */
  omit?: string[];
}

/** A tool that calls one route of the API for the session's collaboration. */
export function routeTool<N extends keyof Routes>(name: string, routeName: N, opts: RouteToolOptions): ToolSpec {
  const def = routes[routeName] as RouteDef;
  const params = shapeOf(def.params);
  const query = shapeOf(def.query);
  const body = shapeOf(def.body);
  const omit = new Set(['collab', ...(opts.omit ?? [])]);
  const input: ObjectShape = {};
  for (const part of [params, query, body]) for (const [k, v] of Object.entries(part)) if (!omit.has(k)) input[k] = v;
  const pick = (part: ObjectShape, args: Record<string, unknown>) =>
    Object.fromEntries(Object.keys(part).filter((k) => k in args && !omit.has(k)).map((k) => [k, args[k]]));
  return {
    name,
    title: opts.title,
    // A description given is put before the route's own summary.
    description: `${opts.description ?? ''}${def.summary}`,
    readOnly: opts.readOnly,
    destructive: opts.destructive ?? false,
    idempotent: opts.idempotent ?? opts.readOnly,
    input: z.object(input),
    output: def.response,
    async run(ctx, args) {
      const a = args as Record<string, unknown>;
      return ctx.client.call(routeName, {
        params: { ...pick(params, a), ...('collab' in params ? { collab: ctx.collab } : {}) },
        ...(def.query ? { query: pick(query, a) } : {}),
        ...(def.body ? { body: pick(body, a) } : {}),
      } as never);
    },
  };
}
