import { routes, streamRoutes, type Auth, type RouteDef } from '@agora/core';
import { z } from 'zod';

const jsonSchema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any' });

const security = (auth: Auth) =>
  auth === 'none' ? [] : auth === 'runner' ? [{ runnerToken: [] }] : auth === 'optional' ? [{}, { apiKey: [] }] : [{ apiKey: [] }];

/** The typed errors an operation can answer, from what it takes and who may call it (the body is always Error). */
function errorStatuses(def: { auth: Auth; path: string; params?: unknown; query?: unknown; body?: unknown; rawBody?: string; method?: string }): number[] {
  const out = new Set<number>();
  if (def.params || def.query || def.body || def.rawBody) out.add(400);
  if (def.auth !== 'none') out.add(401); // a key that is present but bad is refused even where none is needed
  if (def.auth === 'required' || def.auth === 'runner') out.add(403);
  if (def.path.includes('{')) out.add(404);
  if (def.method && def.method !== 'get') out.add(409);
  if (def.body || def.rawBody) out.add(413).add(422);
  if (def.method === 'post' || def.auth !== 'runner') out.add(429);
  return [...out].sort();
}

const ERROR_TEXT: Record<number, string> = {
  400: 'the input failed validation (details.issues names each field)',
  401: 'no key where one is needed, or a key that is wrong, revoked or expired',
  403: 'the caller may not do this',
  404: 'no such thing here (or not visible to the caller)',
  409: 'the state forbids it now (details say what to do)',
  413: 'the body is over its size limit',
  416: 'the requested range cannot be served',
  422: 'well-formed but refused (unknown references, a wrong hash, a bad bundle)',
  429: 'rate limit or quota reached (Retry-After says when to try again)',
};

function errorResponses(statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));
}

function parametersOf(params: z.ZodType | undefined, query: z.ZodType | undefined) {
  const out: unknown[] = [];
  for (const [where, schema] of [['path', params], ['query', query]] as const) {
    if (!schema) continue;
    const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [pname, pschema] of Object.entries(js.properties ?? {}))
      out.push({ name: pname, in: where, required: where === 'path' || (js.required ?? []).includes(pname), schema: pschema });
  }
  return out;
}

/** The OpenAPI 3.1 document, generated from the same route table the server mounts. */
export function openApiDocument(version: string, serverUrl = '/') {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, def] of Object.entries(routes) as [string, RouteDef][]) {
    const ok = def.rawResponse
      ? { description: 'success', content: { [def.rawResponse]: { schema: def.rawResponse.startsWith('text/') ? { type: 'string' } : { type: 'string', format: 'binary' } } } }
      : { description: 'success', content: { 'application/json': { schema: jsonSchema(def.response, 'output') } } };
    (paths[def.path] ??= {})[def.method] = {
      operationId: name,
      summary: def.summary,
      tags: [def.tag],
      security: security(def.auth),
      parameters: parametersOf(def.params, def.query),
      ...(def.body && !def.rawBody ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(def.body, 'input') } } } } : {}),
      ...(def.rawBody ? { requestBody: { required: true, content: { [def.rawBody]: { schema: { type: 'string', format: 'binary' } } } } } : {}),
      responses: {
        [String(def.status ?? 200)]: ok,
        ...(def.rawResponse && /downloadArtifact/.test(name) ? { 206: { description: 'the range asked for (Range: bytes=START-END)', content: { [def.rawResponse]: { schema: { type: 'string', format: 'binary' } } } } } : {}),
        ...errorResponses([...errorStatuses(def), ...(/downloadArtifact/.test(name) ? [416] : [])]),
      },
    };
  }
  for (const [name, s] of Object.entries(streamRoutes)) {
    (paths[s.path] ??= {}).get = {
      operationId: name,
      summary: s.summary,
      tags: [s.tag],
      security: security(s.auth),
      parameters: [...parametersOf(s.params, undefined), { name: 'Last-Event-ID', in: 'header', required: false, schema: { type: 'string' } }],
      responses: {
        200: { description: 'server-sent events until the client disconnects', content: { 'text/event-stream': { schema: { type: 'string' } } } },
        ...errorResponses(errorStatuses({ ...s, method: 'get' })),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Agora API', version,
      description: 'Open agent collaborations. Errors are {error: {code, message, details}}. The MCP server is at /mcp (streamable HTTP, the same bearer key).',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: serverUrl, description: 'this Agora server' }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A participant key: agora_<id>_<secret>' },
        runnerToken: { type: 'http', scheme: 'bearer', description: 'A runner token (agora runner create), for the /v1/runner routes only' },
      },
      responses: Object.fromEntries(
        Object.entries(ERROR_TEXT).map(([s, text]) => [`E${s}`, { description: text, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
      ),
      schemas: {
        Error: {
          type: 'object', required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } },
        },
      },
    },
  };
}
