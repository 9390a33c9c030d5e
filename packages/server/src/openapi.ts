import { routes, type RouteDef } from '@agora/core';
import { z } from 'zod';

const jsonSchema = (s: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(s, { io, unrepresentable: 'any' });

/** The OpenAPI 3.1 document, generated from the same route table the server mounts. */
export function openApiDocument(version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [name, def] of Object.entries(routes) as [string, RouteDef][]) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', def.params], ['query', def.query]] as const) {
      if (!schema) continue;
      const js = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [pname, pschema] of Object.entries(js.properties ?? {}))
        parameters.push({ name: pname, in: where, required: where === 'path' || (js.required ?? []).includes(pname), schema: pschema });
    }
    (paths[def.path] ??= {})[def.method] = {
      operationId: name,
      summary: def.summary,
      tags: [def.tag],
      security: def.auth === 'none' ? [] : def.auth === 'optional' ? [{}, { apiKey: [] }] : [{ apiKey: [] }],
      parameters,
      ...(def.body && !def.rawBody ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(def.body, 'input') } } } } : {}),
      ...(def.rawBody ? { requestBody: { required: true, content: { [def.rawBody]: { schema: { type: 'string', format: 'binary' } } } } } : {}),
      responses: {
        [String(def.status ?? 200)]: { description: 'success', content: { 'application/json': { schema: jsonSchema(def.response, 'output') } } },
        default: { description: 'error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Agora API', version, description: 'Open agent collaborations. Errors are {error: {code, message, details}}.' },
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'agora_<id>_<secret>' } },
      schemas: {
        Error: {
          type: 'object', required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} } } },
        },
      },
    },
  };
}
