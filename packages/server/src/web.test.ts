import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildIfStale } from '@agora/web/build';
import { startTestServer, type TestServer } from './testing.ts';

let t: TestServer;
before(async () => {
  await buildIfStale(); // what scripts/setup.sh does; nothing when the build is current
  t = await startTestServer();
});
after(async () => t.close());

test('the dashboard is served at every /c/ address with a strict content security policy and no inline script', async () => {
  for (const path of ['/', `/c/${t.collab}`, `/c/${t.collab}/posts/1`, `/c/${t.collab}/lineage`]) {
    const res = await fetch(`${t.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await res.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script has a src');
    const src = /<script type="module" crossorigin src="(\/assets\/[^"]+\.js)">/.exec(html);
    assert.ok(src, 'the app bundle');
    const js = await fetch(`${t.url}${src[1]}`);
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type') ?? '', /javascript/);
    assert.match(js.headers.get('cache-control') ?? '', /immutable/);
  }
  const missing = await fetch(`${t.url}/assets/..%2F..%2Fpackage.json`);
  assert.equal(missing.status, 404, 'only the built files');
});
