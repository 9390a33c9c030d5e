import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { routes, streamRoutes, type Auth } from '@agora/core';
import { AgoraClient } from '@agora/sdk';
import { createApp } from './app.ts';
import { makeFixtures, type Fixtures } from './authz-matrix.fixtures.ts';
import { expected, matrix, WHO, type Case, type Outcome, type Req, type Who } from './authz-matrix.table.ts';
import { startTestServer, type TestServer } from './testing.ts';

/**
 * Issue 12, "Proofs": every route of the route table (and both live streams) asked by every kind
 * of caller, each answer checked against the expectation derived from the route's declared auth
 * and its row in authz-matrix.table.ts (decision 0150). One server, fixtures made once; the cells
 * run in-process, in parallel batches, each from its own client address so that the wrong-key
 * slowdown (auth-throttle.ts, tested on its own) does not turn the revoked keys' 401s into 429s.
 */

type Def = { path: string; auth: Auth; method?: string };
const defs: Record<string, Def> = { ...routes, ...streamRoutes };

interface Cell {
  route: string;
  caseNo: number;
  who: Who;
  want: Outcome;
  req: Req;
}

const CODE: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 422: 'unprocessable' };
const REQUEST_TIMEOUT_MS = 30_000;

describe('authorization matrix (issue 12)', () => {
  let t: TestServer;
  let f: Fixtures;
  let app: ReturnType<typeof createApp>;
  let address = 0;
  before(async () => {
    t = await startTestServer();
    f = await makeFixtures(t);
    app = createApp(t.server.services);
  });
  after(() => t?.close());

  async function ask(c: Cell): Promise<{ status: number; code: string; message: string }> {
    const def = defs[c.route]!;
    const path = def.path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(String(c.req.params?.[k] ?? `(missing ${k})`)));
    const qs = c.req.query ? `?${new URLSearchParams(Object.entries(c.req.query).map(([k, v]): [string, string] => [k, String(v)]))}` : '';
    const key = c.who === 'anonymous' ? undefined : f.keys[c.who];
    const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
    let body: Uint8Array<ArrayBuffer> | string | undefined;
    if (c.req.raw) [headers['content-type'], body] = [c.req.raw.type, c.req.raw.data as Uint8Array<ArrayBuffer>];
    else if (c.req.body !== undefined) [headers['content-type'], body] = ['application/json', JSON.stringify(c.req.body)];
    const n = ++address;
    const signal = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    const res = await app.fetch(
      new Request(`http://matrix.internal${path}${qs}`, { method: (def.method ?? 'get').toUpperCase(), headers, body, signal }),
      { incoming: { socket: { remoteAddress: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` } } },
    );
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      await res.body?.cancel();
      return { status: res.status, code: '', message: '' };
    }
    const text = await res.text();
    let err: { code?: string; message?: string } = {};
    try {
      err = (JSON.parse(text) as { error?: typeof err }).error ?? {};
    } catch {
      // Downloads answer bytes.
    }
    return { status: res.status, code: err.code ?? '', message: err.message ?? text.slice(0, 120) };
  }

  /** A mismatch described, or null when the answer is the expected one. */
  async function check(c: Cell): Promise<string | null> {
    const got = await ask(c).catch((e: Error) => ({ status: 0, code: 'no answer', message: e.message }));
    const ok = c.want === 'ok' ? got.status >= 200 && got.status < 300 : got.status === c.want && (!CODE[c.want] || got.code === CODE[c.want]);
    return ok ? null : `${c.route}${c.caseNo ? `[${c.caseNo}]` : ''} as ${c.who}: expected ${c.want}, got ${got.status} ${got.code}: ${got.message}`;
  }

  async function inBatches<T>(items: T[], size: number, run: (x: T) => Promise<string[]>): Promise<string[]> {
    const out: string[] = [];
    for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(run))).flat());
    return out;
  }

  test('every route of the table and every stream has a row, and every row a route', () => {
    const missing = Object.keys(defs).filter((name) => !(name in matrix));
    assert.deepEqual(missing, [], `routes without an expectation in authz-matrix.table.ts: ${missing.join(', ')}`);
    assert.deepEqual(Object.keys(matrix).filter((name) => !(name in defs)), [], 'rows for routes that no longer exist');
  });

  test('each caller gets exactly the answers its rule says, on every route', { timeout: 300_000 }, async () => {
    const cells = Object.entries(matrix).flatMap(([route, cs]) =>
      ([] as Case[]).concat(cs).flatMap((cs, caseNo) => WHO.map((who): Cell => ({ route, caseNo, who, want: expected(defs[route]!.auth, cs.rule, who), req: cs.request(f, who) }))));
    // Refusals first, all at once: none may change anything, so they cannot disturb each other.
    const refusals = cells.filter((c) => c.want !== 'ok' && c.want !== 409 && c.want !== 422);
    const failures = await inBatches(refusals, 24, async (c) => [await check(c)].filter((x): x is string => x !== null));
    // Then the allowed cells: a route's one after the other (each finds its own target), routes side by side.
    const runner = new AgoraClient({ url: t.url, apiKey: f.keys.runner });
    for (const j of [f.runJob, f.resultJob]) await runner.call('jobHeartbeat', { params: { id: j.id }, body: { leaseToken: j.leaseToken } });
    const groups = new Map<string, Cell[]>();
    for (const c of cells.filter((x) => x.want === 'ok' || x.want === 409 || x.want === 422)) groups.set(`${c.route}/${c.caseNo}`, [...(groups.get(`${c.route}/${c.caseNo}`) ?? []), c]);
    failures.push(...(await inBatches([...groups.values()], 8, async (group) => {
      const out: string[] = [];
      for (const c of group) {
        const m = await check(c);
        if (m) out.push(m);
      }
      return out;
    })));
    assert.ok(refusals.length > 400 && groups.size > 80, `the matrix shrank: ${refusals.length} refusals, ${groups.size} allowed groups`);
    assert.deepEqual(failures, []);
  });
});
