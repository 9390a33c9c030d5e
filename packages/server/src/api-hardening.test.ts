import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { AgoraClient } from '@agora/sdk';
import { tempDir } from '@agora/store/testing';
import { databaseRefusal } from './app.ts';
import { startTestServer, writeFixtureChallenge, type TestServer } from './testing.ts';

/**
 * Issue 12, "The API": each case was observed on a running server, answered wrongly; each is
 * asked here over HTTP, on both engines.
 */

/** A tar entry with a ustar header, enough for a bundle of plain files. */
function tarEntry(name: string, body: Buffer | string): Buffer {
  const data = Buffer.from(body);
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write(`${(1_700_000_000).toString(8).padStart(11, '0')}\0`, 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const text = await res.text();
  let body: { error?: { code?: string; message?: string } } = {};
  try {
    body = JSON.parse(text);
  } catch {
    // An empty or non-JSON body fails the assertions below with the status in view.
  }
  return { status: res.status, code: body.error?.code ?? `(no typed error; body ${JSON.stringify(text.slice(0, 80))})`, message: body.error?.message ?? '' };
}

describe('API hardening (issue 12)', () => {
  let t: TestServer;
  let alice: AgoraClient;
  const tmp = tempDir('agora-hardening-');
  before(async () => {
    t = await startTestServer({ challengeDir: writeFixtureChallenge(join(tmp.path, 'challenge')) });
    alice = await t.join('alice');
  });
  after(async () => {
    await t.close();
    tmp.dispose();
  });

  const send = (client: AgoraClient, method: string, path: string, body?: unknown) =>
    fetch(`${t.url}${path}`, {
      method,
      headers: client.headers(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  test('a NUL character is refused as validation_failed (400) on every route it reached the database from, never 500', async () => {
    const c = `/v1/collaborations/${t.collab}`;
    const cases: [AgoraClient, string, string, unknown?][] = [
      [t.anonymous, 'GET', `${c}/board/search?q=a%00b`],
      [t.anonymous, 'GET', `${c}/pages/search?q=a%00b`],
      [t.anonymous, 'GET', `${c}/events?types=a%00b`],
      [t.anonymous, 'GET', `${c}/leaderboard?hardware=a%00b`],
      [alice, 'DELETE', '/v1/me/keys/a%00b'],
      [t.anonymous, 'POST', '/v1/register', { handle: 'nul', owner: 'o\u0000wner', collaboration: t.collab }],
      [t.admin, 'POST', '/v1/runners', { name: 'r\u0000', labels: ['cpu'], collaborations: [t.collab] }],
      [alice, 'POST', `${c}/jobs/1/cancel`, { reason: 'stop\u0000' }],
      [alice, 'POST', `${c}/posts`, { title: 'x', body: 'nul \u0000 in a post' }],
    ];
    for (const [client, method, path, body] of cases) {
      const e = await errorOf(await send(client, method, path, body));
      assert.equal(e.status, 400, `${method} ${path}: ${e.code} ${e.message}`);
      assert.equal(e.code, 'validation_failed', `${method} ${path}`);
      assert.match(e.message, /NUL|\\u0000|0x00/, `${method} ${path}: the message says why`);
    }
  });

  test("the database's own refusal of NUL in text is a typed 400, should one slip past the schemas", async () => {
    let caught: unknown;
    try {
      await t.testDb.db.query('select $1::text as x', ['a\u0000b']);
    } catch (err) {
      caught = err;
    }
    assert.ok(caught, 'the database refuses NUL in text');
    const mapped = databaseRefusal(caught);
    assert.equal(mapped?.code, 'validation_failed');
    assert.equal(mapped?.status, 400);
  });

  test('a chunked JSON body (no Content-Length) is cut off at the 1 MiB limit, not read in full first', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    const total = 64 * 1024 * 1024;
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (pulled === 0) ctl.enqueue(new TextEncoder().encode('{"title":"flood","body":"'));
        if (pulled >= total) return ctl.close();
        pulled += chunk.byteLength;
        ctl.enqueue(chunk);
      },
    });
    const ctl = new AbortController();
    let status: number | string;
    try {
      const res = await fetch(`${t.url}/v1/collaborations/${t.collab}/posts`, {
        method: 'POST', headers: alice.headers({ 'content-type': 'application/json' }), body, duplex: 'half', signal: ctl.signal,
      } as RequestInit);
      status = res.status;
      ctl.abort();
    } catch (err) {
      status = `no answer: ${String((err as Error).cause ?? err)}`;
    }
    assert.equal(status, 413);
    assert.ok(pulled < total / 4, `the server read ${pulled} bytes of a ${total}-byte body before refusing it`);
  });

  test('a JSON body that is not valid UTF-8 is refused (400), not stored with U+FFFD in place of its bytes', async () => {
    const bytes = Buffer.concat([Buffer.from('{"title":"latin-1 ','utf8'), Buffer.from([0xe9, 0xff]), Buffer.from('","body":"x"}')]);
    const res = await fetch(`${t.url}/v1/collaborations/${t.collab}/posts`, {
      method: 'POST', headers: alice.headers({ 'content-type': 'application/json' }), body: new Uint8Array(bytes),
    });
    const e = await errorOf(res);
    assert.equal(e.status, 400, `${e.code} ${e.message}`);
    assert.equal(e.code, 'bad_request');
    assert.match(e.message, /UTF-8/);
  });

  test('JSON nested 10,000 deep is refused (400), not a stack overflow (500); found by the property tests', async () => {
    for (const [client, path] of [[alice, `/v1/collaborations/${t.collab}/posts`], [t.anonymous, '/v1/register']] as const) {
      for (const body of ['['.repeat(10_000) + ']'.repeat(10_000), `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`]) {
        const e = await errorOf(await fetch(`${t.url}${path}`, { method: 'POST', headers: client.headers({ 'content-type': 'application/json' }), body }));
        assert.equal(e.status, 400, `${path}: ${e.code} ${e.message}`);
        assert.match(e.message, /nests deeper than 64/);
      }
    }
  });

  test('views composed in-process relay the typed refusal of the route they call: no collaboration is 404, not 500; found by the property tests', async () => {
    for (const [client, path] of [[alice, '/v1/collaborations/no-such-collab/join.md'], [t.anonymous, '/v1/collaborations/9999/join.md'], [alice, '/v1/collaborations/no-such-collab/digest']] as const) {
      const e = await errorOf(await send(client, 'GET', path));
      assert.equal(e.status, 404, `${path}: ${e.code} ${e.message}`);
      assert.equal(e.code, 'not_found');
    }
  });

  test('a truncated gzip (a prefix of a valid bundle) is refused with 422, not stored', async () => {
    const files = Array.from({ length: 4 }, (_, i) => tarEntry(`f${i}.txt`, `file ${i} `.repeat(200 + i * 50)));
    const whole = gzipSync(Buffer.concat([...files, Buffer.alloc(1024)]));
    for (const cut of [159, Math.floor(whole.length / 2), whole.length - 4]) {
      const res = await fetch(alice.path('uploadSubmission', { collab: t.collab }, { title: `cut at ${cut}` }), {
        method: 'POST', headers: alice.headers({ 'content-type': 'application/gzip' }), body: new Uint8Array(whole.subarray(0, cut)),
      });
      const e = await errorOf(res);
      assert.equal(e.status, 422, `a prefix of ${cut} of ${whole.length} bytes: ${e.code} ${e.message}`);
      assert.equal(e.code, 'unprocessable');
    }
  });

  test('a 429 says when to retry: Retry-After on the open-uploads limit', async () => {
    let last: Response | undefined;
    for (let i = 0; i < 9; i++) {
      last = await send(alice, 'POST', `/v1/collaborations/${t.collab}/artifact-uploads`, { mediaType: 'application/octet-stream', size: 10 });
      if (last.status === 429) break;
      await last.arrayBuffer();
    }
    assert.equal(last!.status, 429);
    const retry = last!.headers.get('retry-after');
    assert.match(retry ?? '(none)', /^[1-9]\d*$/, 'Retry-After is a whole number of seconds');
    assert.equal((await errorOf(last!)).code, 'quota_exceeded');
  });

  test('a runner token is refused on the stream routes as everywhere outside /v1/runner', async () => {
    const { token } = await t.admin.call('createRunner', { body: { name: 'stream-prober', labels: ['cpu'], collaborations: [t.collab] } });
    for (const path of [`/v1/collaborations/${t.collab}/events/stream`, `/v1/collaborations/${t.collab}/jobs/1/logs/stream`]) {
      // Accepted, the stream would stay open: the status is read and the body dropped.
      const ctl = new AbortController();
      const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
      const e = res.status === 200 ? (ctl.abort(), { status: 200, code: '(a stream was opened)' }) : await errorOf(res);
      assert.equal(e.status, 401, `${path}: ${e.code}`);
      assert.equal(e.code, 'unauthorized');
    }
  });

  test('416 carries the typed error and the size', async () => {
    const bob = await t.join('bob');
    const art = await bob.call('createArtifactUpload', { params: { collab: t.collab }, body: { size: 5 } });
    await fetch(bob.path('putArtifactUploadChunk', { collab: t.collab, uploadId: art.uploadId }, { offset: 0 }), {
      method: 'PUT', headers: bob.headers({ 'content-type': 'application/octet-stream' }), body: new Uint8Array(Buffer.from('hello')),
    }).then((r) => r.arrayBuffer());
    const { sha256 } = await bob.call('completeArtifactUpload', {
      params: { collab: t.collab, uploadId: art.uploadId }, body: { sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' },
    });
    const res = await fetch(`${t.url}/v1/collaborations/${t.collab}/artifacts/${sha256}/content`, { headers: { range: 'bytes=10-20' } });
    assert.equal(res.headers.get('content-range'), 'bytes */5');
    const e = await errorOf(res);
    assert.equal(e.status, 416);
    assert.equal(e.code, 'range_not_satisfiable');
  });

  test('a burst of submissions is limited per author (30 a minute): 429 with Retry-After, others unaffected', async () => {
    const flood = await t.join('flood');
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      send(flood, 'POST', `/v1/collaborations/${t.collab}/submissions`, { title: `flood ${i}`, files: [{ path: 'main.py', content: `print(${i})` }] })
        .then(async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() }))));
    const accepted = results.filter((r) => r.status === 201).length;
    const refused = results.filter((r) => r.status === 429);
    assert.equal(accepted, 30, JSON.stringify(results.filter((r) => r.status !== 201 && r.status !== 429).slice(0, 2)));
    assert.equal(refused.length, 10);
    assert.ok(refused.every((r) => /^[1-9]\d*$/.test(r.retryAfter ?? '') && JSON.parse(r.body).error.code === 'rate_limited'));
    const other = await send(alice, 'POST', `/v1/collaborations/${t.collab}/submissions`, { title: 'not a flood', files: [{ path: 'main.py', content: 'print(1)' }] });
    assert.equal(other.status, 201, 'another author is not held back');
    await other.arrayBuffer();
  });

  const burst = (n: number, one: (i: number) => Promise<Response>) =>
    Promise.all(Array.from({ length: n }, (_, i) => one(i).then(async (res) => ({ status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() }))));
  const assertLimited = (results: Awaited<ReturnType<typeof burst>>, ok: number, accepted: number) => {
    const refused = results.filter((r) => r.status === 429);
    assert.equal(results.filter((r) => r.status === ok).length, accepted, JSON.stringify(results.filter((r) => r.status !== ok && r.status !== 429).slice(0, 2)));
    assert.equal(refused.length, results.length - accepted);
    assert.ok(refused.every((r) => /^[1-9]\d*$/.test(r.retryAfter ?? '') && JSON.parse(r.body).error.code === 'rate_limited'), refused[0]?.body);
  };

  test('a burst of 40 page writes is limited per participant (30 a minute): 429 with Retry-After; edits count, others unaffected', async () => {
    const flood = await t.join('page-flood');
    const c = `/v1/collaborations/${t.collab}/pages`;
    assertLimited(await burst(40, (i) => send(flood, 'POST', c, { slug: `flood-${i}`, title: `Flood ${i}`, category: 'other', body: `page ${i}` })), 201, 30);
    const edit = await send(flood, 'PATCH', `${c}/flood-0`, { baseRevision: 1, body: 'edited' });
    assert.equal(edit.status, 429, 'an edit is a page write too');
    await edit.arrayBuffer();
    const other = await send(alice, 'PATCH', `${c}/flood-0`, { baseRevision: 1, body: 'edited by another' });
    assert.equal(other.status, 200, await other.clone().text());
    await other.arrayBuffer();
  });

  test('a burst of 40 API keys is limited per participant (5 a minute, the registration key included)', async () => {
    const flood = await t.join('key-flood');
    assertLimited(await burst(40, (i) => send(flood, 'POST', '/v1/me/keys', { label: `k${i}` })), 201, 4);
    const keys = await flood.call('listKeys');
    assert.equal(keys.items.length, 5, 'registration key and four rotations');
  });

  test('claims made and released in a loop are limited (10 a minute); the active-claim bound holds under a burst', async () => {
    const flood = await t.join('claim-flood');
    const c = `/v1/collaborations/${t.collab}/claims`;
    const burstResults = await burst(8, (i) => send(flood, 'POST', c, { lever: `burst-${i}` }));
    assert.equal(burstResults.filter((r) => r.status === 201).length, 5, 'at most five active at once, even sent together');
    assert.ok(burstResults.filter((r) => r.status !== 201).every((r) => r.status === 409), JSON.stringify(burstResults.map((r) => r.status)));
    const statuses: number[] = [];
    for (const r of burstResults.filter((x) => x.status === 201)) {
      const res = await send(flood, 'DELETE', `${c}/${JSON.parse(r.body).claim.id}`);
      assert.equal(res.status, 200, await res.text());
    }
    for (let i = 0; i < 6; i++) {
      const res = await send(flood, 'POST', c, { lever: `loop-${i}` });
      statuses.push(res.status);
      const body = JSON.parse(await res.text());
      if (res.status === 201) await (await send(flood, 'DELETE', `${c}/${body.claim.id}`)).arrayBuffer();
      else assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    }
    assert.deepEqual(statuses, [201, 201, 201, 201, 201, 429], 'five in the burst and five in the loop, then a wait');
  });

  // Last: it leaves this address waiting, for every key.
  test('wrong keys in a row are slowed down: after 10, the address waits (429, Retry-After), whatever key it sends', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 30; i++) {
      const res = await fetch(`${t.url}/v1/me`, { headers: { authorization: `Bearer agora_${1000 + i}_${'x'.repeat(43)}` } });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401), 'the first ten are plain refusals');
    assert.deepEqual(statuses.slice(10), Array(20).fill(429), 'then the address waits');
    assert.match(retryAfter ?? '(none)', /^[1-9]\d*$/);
    const mine = await fetch(`${t.url}/v1/me`, { headers: alice.headers() });
    assert.equal(mine.status, 429, 'a correct key from the waiting address is refused too: the answer tells a guesser nothing');
    await mine.arrayBuffer();
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200, 'requests without a key still pass');
  });
});
