import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EVENT_TYPES } from '@agora/core';
import { startTestServer, type TestServer } from './testing.ts';

let t: TestServer;
before(async () => {
  t = await startTestServer();
});
after(async () => t.close());

test('the observer dashboard is served with a strict content security policy', async () => {
  for (const path of ['/', `/c/${t.collab}`]) {
    const res = await fetch(`${t.url}${path}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    const html = await res.text();
    assert.match(html, /<script type="module" src="\/assets\/agora.js">/);
    assert.doesNotMatch(html, /<script>[^<]/, 'no inline script');
  }
  const js = await fetch(`${t.url}/assets/agora.js`);
  assert.match(js.headers.get('content-type') ?? '', /javascript/);
  const code = await js.text();
  assert.doesNotMatch(code, /innerHTML|insertAdjacentHTML|document\.write/, 'participant text is only ever set as text');
  assert.match(code, /from '\.\/event-types\.js'/, 'the dashboard takes its event types from the served list');
  const types = await fetch(`${t.url}/assets/event-types.js`);
  assert.match(types.headers.get('content-type') ?? '', /javascript/);
  const listed = JSON.parse(/EVENT_TYPES = (\[.*\]);/.exec(await types.text())![1]!);
  assert.deepEqual(listed, EVENT_TYPES, 'every type of the union, from core');
});
