import type { RouteDef } from '@agora/core';
import fc from 'fast-check';
import { z } from 'zod';

/**
 * Requests for the property-based tests (decision 0151): per route of the table, inputs shaped
 * like its zod schemas (through their JSON Schema) and then broken: wrong types, missing and extra
 * fields, huge strings, NUL, lone surrogates, deep nesting, bodies that are not UTF-8 or not JSON,
 * random bytes, malformed percent-encoding in the path and the query. Known values (the fixtures'
 * slugs and ids) are mixed in so that generated requests reach real resources, not only 404s.
 */

export interface FuzzRequest {
  method: string;
  /** Already encoded (it may hold malformed percent-encoding on purpose). */
  url: string;
  headers: Record<string, string>;
  body?: Uint8Array<ArrayBuffer>;
}

type Json = { [k: string]: unknown };

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
/** A URL holds bytes: lone surrogates cannot be sent in one (encodeURIComponent would throw). */
const enc = (s: string) => encodeURIComponent(s.toWellFormed());

/** Strings a careless or hostile client sends. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff x', '💥'.repeat(50), '../../etc/passwd', '%', '%00', "'; drop table events; --", '<script>', '-1', '0', '1e309', 'NaN', '9'.repeat(40), 'null', 'true', '[]', '{}'),
  fc.nat({ max: 300_000 }).map((n) => 'x'.repeat(n)),
);

const nastyNumber = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-1, 0, 2 ** 31, 2 ** 53 + 1, 1e308, -0, Number.MAX_SAFE_INTEGER));

/** From a JSON Schema (zod's, input side) to values that mostly satisfy it. */
function fromSchema(s: Json | undefined, known: KnownValues, depth: number): fc.Arbitrary<unknown> {
  if (!s || depth > 5) return fc.anything({ maxDepth: 1 });
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const alts = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (alts?.length) return fc.oneof(...alts.map((x) => fromSchema(x, known, depth + 1)));
  if (Array.isArray(s.type)) return fc.oneof(...(s.type as string[]).map((type) => fromSchema({ ...s, type }, known, depth + 1)));
  switch (s.type) {
    case 'string': {
      let shaped: fc.Arbitrary<string> = fc.string({ minLength: Number(s.minLength ?? 0), maxLength: Math.min(Number(s.maxLength ?? 40), 60) });
      if (typeof s.pattern === 'string') {
        try {
          shaped = fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length <= Number(s.maxLength ?? 200));
        } catch {
          // A pattern fast-check cannot generate from: plain strings.
        }
      }
      return fc.oneof({ arbitrary: fc.constantFrom(...known.strings), weight: 2 }, { arbitrary: shaped, weight: 3 });
    }
    case 'integer':
    case 'number': {
      const min = Number(s.minimum ?? (s.exclusiveMinimum !== undefined ? Number(s.exclusiveMinimum) + 1 : -1000));
      const max = Number(s.maximum ?? (s.exclusiveMaximum !== undefined ? Number(s.exclusiveMaximum) - 1 : 1_000_000));
      const ranged = s.type === 'integer' ? fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31 - 1) }) : fc.double({ min, max, noNaN: true });
      return fc.oneof({ arbitrary: fc.constantFrom(...known.ids), weight: 2 }, { arbitrary: ranged, weight: 2 });
    }
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(fromSchema(s.items as Json, known, depth + 1), { maxLength: Math.min(Number(s.maxItems ?? 3), 3) });
    case 'object': {
      const props = (s.properties ?? {}) as Record<string, Json>;
      const required = (s.required ?? []) as string[];
      return fc.record(Object.fromEntries(Object.entries(props).map(([k, v]) => [k, fromSchema(v, known, depth + 1)])), { requiredKeys: required.filter((k) => k in props) });
    }
  }
  return fc.anything({ maxDepth: 2 });
}

const jsonSchema = (schema: z.ZodType | undefined): Json | undefined => {
  if (!schema) return undefined;
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json;
  } catch {
    return undefined;
  }
};

/** A value like the schema's, then maybe broken in one way. */
function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: base, weight: 4 },
    // One field given a value of the wrong kind.
    { arbitrary: fc.tuple(base, fc.string({ maxLength: 12 }), fc.oneof(nastyString, nastyNumber, fc.anything({ maxDepth: 3 }))).map(([b, k, v]) => (b && typeof b === 'object' && !Array.isArray(b) ? { ...b, [Object.keys(b)[0] ?? k]: v } : v)), weight: 3 },
    // Extra fields, including ones that look like what a schema would strip.
    { arbitrary: fc.tuple(base, fc.dictionary(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('__proto__', 'constructor', 'id', 'authorId', 'role', 'a\u0000')), fc.anything({ maxDepth: 2 }), { maxKeys: 3 })).map(([b, extra]) => (b && typeof b === 'object' && !Array.isArray(b) ? { ...extra, ...b } : extra)), weight: 1 },
    { arbitrary: fc.anything({ maxDepth: 3, withNullPrototype: true }), weight: 1 },
  );
}

/** Bodies that are not what a JSON route reads. */
const brokenBody: fc.Arbitrary<Uint8Array<ArrayBuffer>> = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => new Uint8Array(b)),
  fc.constantFrom(utf8('{"a":'), utf8('{"title":"x"}garbage'), new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x7d]), utf8('\u0000')),
  // Constants, not a range: fast-check biases ranges towards their small end, and the depths that
  // overflowed a stack (10,000 and more) would hardly be drawn.
  fc.constantFrom(65, 10_000, 120_000).map((n) => utf8('['.repeat(n) + ']'.repeat(n))),
  fc.constantFrom(65, 10_000, 60_000).map((n) => utf8(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`)),
);

export interface KnownValues {
  strings: string[];
  ids: number[];
  /** Real values for path parameters, by name (collab, id, slug, ...). */
  params: Record<string, string[]>;
  /** Valid bytes for the routes that take raw bodies (a bundle). */
  bundle: Uint8Array<ArrayBuffer>;
}

export interface Caller {
  name: string;
  authorization?: string;
  /** How often it calls, against the others. */
  weight: number;
}

/** Path segments: the parameter's real values, other known values, nasty strings, or malformed percent-encoding sent as is. */
const segment = (known: KnownValues, name: string) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...(known.params[name] ?? known.strings)).map(enc), weight: 12 },
    { arbitrary: fc.constantFrom(...known.strings, ...known.ids.map(String)).map(enc), weight: 2 },
    { arbitrary: nastyString.map((s) => enc(s.slice(0, 5000))), weight: 2 },
    { arbitrary: fc.constantFrom('%', '%zz', '%C3%28', '%E0%A4%A', '%00', '%2e%2e', '..', '%252e', '-1', '0', '1.5', '1e3', '99999999999999999999'), weight: 1 },
  );

/** Query strings: the schema's keys with generated values, extras, repeats, raw malformed encoding. */
function queryString(schema: Json | undefined, known: KnownValues): fc.Arbitrary<string> {
  const keys = Object.keys((schema?.properties ?? {}) as object);
  const value = fc.oneof(
    { arbitrary: fc.constantFrom(...known.strings, ...known.ids.map(String), 'true', 'false', '1,2,3'), weight: 3 },
    { arbitrary: nastyString.map((s) => enc(s.slice(0, 3000))), weight: 2 },
    { arbitrary: fc.constantFrom('%', '%zz', '%C3%28', '%00', ''), weight: 1 },
  );
  const key = keys.length ? fc.oneof({ arbitrary: fc.constantFrom(...keys), weight: 4 }, { arbitrary: fc.string({ maxLength: 8 }).map(enc), weight: 1 }) : fc.string({ maxLength: 8 }).map(enc);
  return fc.array(fc.tuple(key, value), { maxLength: 5 }).map((pairs) => (pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''));
}

/** One request to one route, as any caller, with any of the inputs above. */
export function requestFor(def: RouteDef | { path: string; method?: string; body?: undefined; query?: undefined; rawBody?: undefined }, known: KnownValues, callers: Caller[]): fc.Arbitrary<{ caller: string; req: FuzzRequest }> {
  const method = (def.method ?? 'get').toUpperCase();
  const names = [...def.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const bodySchema = jsonSchema(def.body);
  const jsonBody = mutated(fromSchema(bodySchema, known, 0)).map((v) => utf8(JSON.stringify(v) ?? 'null'));
  const body: fc.Arbitrary<Uint8Array<ArrayBuffer> | undefined> = def.rawBody
    ? fc.oneof(fc.constant(known.bundle), fc.nat({ max: known.bundle.length }).map((n) => known.bundle.slice(0, n)), brokenBody)
    : def.body && method !== 'GET' ? fc.oneof({ arbitrary: jsonBody, weight: 4 }, { arbitrary: brokenBody, weight: 1 }) : fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: brokenBody, weight: 1 });
  const contentType = fc.oneof(
    { arbitrary: fc.constant(def.rawBody ?? 'application/json'), weight: 5 },
    { arbitrary: fc.constantFrom(undefined, 'text/plain', 'application/json; charset=latin1', 'application/gzip', 'multipart/form-data; boundary=x', '\u00ff'), weight: 1 },
  );
  return fc
    .record({
      caller: fc.oneof(...callers.map((c) => ({ arbitrary: fc.constant(c), weight: c.weight }))),
      segments: fc.tuple(...names.map((n) => segment(known, n))),
      query: queryString(jsonSchema(def.query), known),
      body,
      contentType,
    })
    .map(({ caller, segments, query, body: b, contentType: ct }) => {
      let i = 0;
      const path = def.path.replace(/\{(\w+)\}/g, () => segments[i++]!);
      const headers: Record<string, string> = {};
      if (caller.authorization) headers.authorization = caller.authorization;
      if (b !== undefined && ct !== undefined && /^[\x20-\x7e]*$/.test(ct)) headers['content-type'] = ct;
      return { caller: caller.name, req: { method, url: `${path}${query}`, headers, ...(b !== undefined && method !== 'GET' ? { body: b } : {}) } };
    });
}
