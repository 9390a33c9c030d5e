import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { AgoraError } from '@agora/core';
import { tempDir } from '@agora/store/testing';
import { openArtifactStore, type ArtifactStore } from './artifacts.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const code = (c: string) => (e: unknown) => e instanceof AgoraError && e.code === c;

let store: ArtifactStore;
const tmp = tempDir('agora-artifacts-');
before(async () => {
  store = await openArtifactStore(join(tmp.path, 'a'), { maxArtifactBytes: 1000 });
});
after(() => tmp.dispose());

test('put: content-addressed, deduplicated, read-only, readable back; any byte source', async () => {
  const a = await store.put(Buffer.from('hello'));
  assert.deepEqual(a, { sha256: sha('hello'), size: 5, created: true });
  assert.equal((await store.put(Readable.from([Buffer.from('hel'), Buffer.from('lo')]))).created, false);
  assert.equal((await store.put(new Blob(['hello']).stream())).sha256, sha('hello'));
  assert.equal(await store.has(a.sha256), true);
  assert.equal(await store.size(a.sha256), 5);
  assert.equal(readFileSync(store.path(a.sha256), 'utf8'), 'hello');
  assert.equal(statSync(store.path(a.sha256)).mode & 0o222, 0, 'blobs are read-only');
  const chunks: Buffer[] = [];
  for await (const c of await store.open(a.sha256, { start: 1, end: 3 })) chunks.push(c as Buffer);
  assert.equal(Buffer.concat(chunks).toString(), 'ell');
  assert.equal(await store.has('0'.repeat(64)), false);
  await assert.rejects(store.open('0'.repeat(64)), code('not_found'));
  assert.throws(() => store.path('../../etc/passwd'), code('validation_failed'));
  assert.throws(() => store.path('A'.repeat(64)), code('validation_failed'));
});

test('put: over the limit or the wrong hash leaves nothing behind', async () => {
  await assert.rejects(store.put(Buffer.alloc(1001)), code('payload_too_large'));
  await assert.rejects(store.put(Buffer.from('x'), { maxBytes: 10, expectSha256: sha('y') }), code('unprocessable'));
  assert.equal(await store.has(sha('x')), false);
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), []);
});

test('resumable upload: offsets, a cut connection keeps what arrived, limit, verified completion', async () => {
  const data = Buffer.from('0123456789'.repeat(50));
  const id = await store.createUpload();
  assert.equal(await store.appendUpload(id, 0, data.subarray(0, 100)), 100);
  await assert.rejects(store.appendUpload(id, 50, data.subarray(50, 150)), (e: unknown) => code('conflict')(e) && (e as AgoraError).details !== null);
  // The client's stream dies after 50 more bytes: they are kept and the upload resumes from 150.
  async function* dying() {
    yield data.subarray(100, 150);
    throw new Error('connection reset');
  }
  await assert.rejects(store.appendUpload(id, 100, dying()), code('bad_request'));
  assert.equal(await store.uploadReceived(id), 150);
  // A chunk that would pass the limit is refused whole.
  await assert.rejects(store.appendUpload(id, 150, Buffer.alloc(900), { maxBytes: 500 }), code('payload_too_large'));
  assert.equal(await store.uploadReceived(id), 150);
  assert.equal(await store.appendUpload(id, 150, data.subarray(150), { maxBytes: 500 }), 500);
  await assert.rejects(store.completeUpload(id, sha('nope')), code('unprocessable'));
  assert.equal(await store.uploadReceived(id), 500, 'a mismatch keeps the upload');
  assert.deepEqual(await store.completeUpload(id, sha(data)), { sha256: sha(data), size: 500, created: true });
  await assert.rejects(store.uploadReceived(id), code('not_found'));
  await assert.rejects(store.uploadReceived('../../x'), code('not_found'));
});

test('one writer per upload at a time', async () => {
  const id = await store.createUpload();
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  async function* slow() {
    yield Buffer.from('ab');
    await gate;
  }
  const first = store.appendUpload(id, 0, slow());
  await new Promise((r) => setTimeout(r, 20));
  await assert.rejects(store.appendUpload(id, 0, Buffer.from('cd')), code('conflict'));
  release();
  assert.equal(await first, 2);
  await store.abortUpload(id);
  await assert.rejects(store.uploadReceived(id), code('not_found'));
});

test('stale scratch files and folders are swept, fresh ones kept', async () => {
  const old = await store.workDir('old-');
  const fresh = await store.workDir('fresh-');
  const past = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  utimesSync(old.path, past, past);
  assert.equal(await store.cleanStale(), 1);
  assert.deepEqual(readdirSync(join(store.root, 'work')), [fresh.path.split('/').at(-1)]);
  await fresh.dispose();
});
