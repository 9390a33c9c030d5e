import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { AgoraError } from '@agora/core';
import { tempDir } from '../testing.ts';
import { blobStoreContract } from './contract.ts';
import { openLocalBlobStore, type LocalBlobStore } from './local.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const code = (c: string) => (e: unknown) => e instanceof AgoraError && e.code === c;

blobStoreContract('local directory', async () => {
  const tmp = tempDir('agora-blobs-contract-');
  return { store: await openLocalBlobStore(join(tmp.path, 'b'), { maxBlobBytes: 1000 }), dispose: async () => tmp.dispose() };
});

// What only the local directory has: files on disk, read-only blobs, a tmp/ folder that is left clean.
let store: LocalBlobStore;
const tmp = tempDir('agora-blobs-local-');
before(async () => {
  store = await openLocalBlobStore(join(tmp.path, 'a'), { maxBlobBytes: 1000 });
});
after(() => tmp.dispose());

test('local: blobs are files at their content address, read-only', async () => {
  const a = await store.put(Buffer.from('hello'));
  assert.equal((await store.put(Readable.from([Buffer.from('hel'), Buffer.from('lo')]))).created, false, 'a Node stream is a byte source too');
  assert.equal(readFileSync(store.path(a.sha256), 'utf8'), 'hello');
  assert.equal(statSync(store.path(a.sha256)).mode & 0o222, 0, 'blobs are read-only');
  assert.throws(() => store.path('../../etc/passwd'), code('validation_failed'));
  assert.throws(() => store.path('A'.repeat(64)), code('validation_failed'));
});

test('local: over the limit or the wrong hash leaves nothing behind in tmp/', async () => {
  await assert.rejects(store.put(Buffer.alloc(1001)), code('payload_too_large'));
  await assert.rejects(store.put(Buffer.from('x'), { maxBytes: 10, expectSha256: sha('y') }), code('unprocessable'));
  assert.equal(await store.stat(sha('x')), null);
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), []);
});

test('local: stale files in tmp/ are swept, fresh ones kept', async () => {
  const old = join(store.root, 'tmp', 'old');
  const fresh = join(store.root, 'tmp', 'fresh');
  writeFileSync(old, 'x');
  writeFileSync(fresh, 'y');
  const past = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  utimesSync(old, past, past);
  assert.equal(await store.cleanStale(), 1);
  assert.deepEqual(readdirSync(join(store.root, 'tmp')), ['fresh']);
});
