import assert from 'node:assert/strict';
import { test } from 'node:test';
import { route } from '@agora/core';
import { Hono } from 'hono';
import { z } from 'zod';
import { mount, type AppEnv } from './mount.ts';

// What a handler returns passes through its route's response schema: a field the schema does not
// name (a hash, a private column, a runner's raw reason) is cut, at any depth, before it leaves.
test('mount strips every field the response schema does not name', async () => {
  const app = new Hono<AppEnv>();
  const def = route({
    method: 'get', path: '/x/{id}', tag: 't', auth: 'optional', summary: 'x',
    params: z.object({ id: z.coerce.number().int() }),
    response: z.object({ id: z.number(), owner: z.object({ handle: z.string() }), items: z.array(z.object({ n: z.number() })) }),
  });
  mount(app, def, async ({ params }) => ({
    id: params.id, secretHash: 'h', owner: { handle: 'ada', apiKey: 'agora_SECRET' }, items: [{ n: 1, privateReason: 'p' }],
  }) as never);
  const res = await app.request('/x/7');
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { id: 7, owner: { handle: 'ada' }, items: [{ n: 1 }] });
});

test('a GET answers with an ETag and 304 when If-None-Match matches; a change gives a new tag', async () => {
  const app = new Hono<AppEnv>();
  let n = 1;
  mount(app, route({ method: 'get', path: '/n', tag: 't', auth: 'optional', summary: 'n', response: z.object({ n: z.number() }) }), async () => ({ n }));
  const first = await app.request('/n');
  const etag = first.headers.get('etag');
  assert.match(etag ?? '', /^W\/"[A-Za-z0-9_-]+"$/);
  assert.deepEqual(await first.json(), { n: 1 });
  const again = await app.request('/n', { headers: { 'if-none-match': etag! } });
  assert.equal(again.status, 304);
  assert.equal(await again.text(), '');
  n = 2;
  const changed = await app.request('/n', { headers: { 'if-none-match': etag! } });
  assert.equal(changed.status, 200);
  assert.notEqual(changed.headers.get('etag'), etag);
  assert.deepEqual(await changed.json(), { n: 2 });
});

test('nestsDeeperThan counts the nesting of arrays and objects, not brackets inside strings', async () => {
  const { nestsDeeperThan } = await import('./mount.ts');
  assert.equal(nestsDeeperThan('[[[]]]', 3), false);
  assert.equal(nestsDeeperThan('[[[[]]]]', 3), true);
  assert.equal(nestsDeeperThan('{"a":{"b":[1]}}', 3), false);
  assert.equal(nestsDeeperThan('{"a":{"b":[{}]}}', 3), true);
  assert.equal(nestsDeeperThan(JSON.stringify({ s: '[[[[[[{{{{' }), 1), false, 'brackets in a string');
  assert.equal(nestsDeeperThan(JSON.stringify({ s: 'quote \\" then [[[[' }), 1), false, 'an escaped quote does not end the string');
  assert.equal(nestsDeeperThan('[]'.repeat(10_000), 1), false, 'siblings are not depth');
});
