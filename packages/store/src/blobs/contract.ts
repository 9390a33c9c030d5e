import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AgoraError } from '@agora/core';
import type { BlobStore } from './blob-store.ts';

/**
 * The behaviour every BlobStore implementation owes its callers, as one suite: an implementation's
 * test file calls this with a way to open a fresh, empty store whose maxBlobBytes is 1000.
 */
export function blobStoreContract(name: string, openStore: () => Promise<{ store: BlobStore; dispose(): Promise<void> }>): void {
  const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
  const code = (c: string) => (e: unknown) => e instanceof AgoraError && e.code === c;
  const text = async (s: ReadableStream<Uint8Array>) => {
    const parts: Uint8Array[] = [];
    for await (const c of s) parts.push(c);
    return Buffer.concat(parts).toString();
  };

  describe(`blob store contract: ${name}`, () => {
    let store: BlobStore;
    let dispose: () => Promise<void>;
    before(async () => ({ store, dispose } = await openStore()));
    after(() => dispose());

    test('put: content-addressed and deduplicated, from any byte source; stat, get, ranged get, read', async () => {
      const a = await store.put(Buffer.from('hello'));
      assert.deepEqual(a, { sha256: sha('hello'), size: 5, created: true });
      assert.equal((await store.put((async function* () { yield Buffer.from('hel'); yield Buffer.from('lo'); })())).created, false);
      assert.equal((await store.put(new Blob(['hello']).stream())).sha256, sha('hello'));
      assert.deepEqual(await store.stat(a.sha256), { sha256: a.sha256, size: 5 });
      assert.equal(await text(await store.get(a.sha256)), 'hello');
      assert.equal(await text(await store.get(a.sha256, { start: 1, end: 3 })), 'ell');
      assert.equal(await text(await store.get(a.sha256, { start: 4, end: 4 })), 'o');
      assert.equal(Buffer.from(await store.read(a.sha256, 5)).toString(), 'hello');
      await assert.rejects(store.read(a.sha256, 4), code('payload_too_large'));
    });

    test('absent blobs and malformed hashes', async () => {
      const absent = '0'.repeat(64);
      assert.equal(await store.stat(absent), null);
      await assert.rejects(store.get(absent), code('not_found'));
      await assert.rejects(store.read(absent, 10), code('not_found'));
      assert.equal(await store.delete(absent), false);
      for (const bad of ['../../etc/passwd', 'A'.repeat(64), 'a'.repeat(63)])
        await assert.rejects(store.stat(bad), code('validation_failed'), bad);
    });

    test('put: over the limit or the wrong hash stores nothing; the right hash is accepted', async () => {
      await assert.rejects(store.put(Buffer.alloc(store.maxBlobBytes + 1, 1)), code('payload_too_large'));
      assert.equal(await store.stat(sha(Buffer.alloc(store.maxBlobBytes + 1, 1))), null);
      await assert.rejects(store.put(Buffer.from('x'), { maxBytes: 10, expectSha256: sha('y') }), code('unprocessable'));
      assert.equal(await store.stat(sha('x')), null);
      await assert.rejects(store.put(Buffer.from('0123456789a'), { maxBytes: 10 }), code('payload_too_large'));
      const ok = await store.put(Buffer.from('z'), { expectSha256: sha('z'), durableElsewhere: true });
      assert.deepEqual(await store.stat(ok.sha256), { sha256: sha('z'), size: 1 });
    });

    test('a source that fails mid-way stores nothing', async () => {
      async function* dying() {
        yield Buffer.from('partial');
        throw new Error('connection reset');
      }
      await assert.rejects(store.put(dying()));
      assert.equal(await store.stat(sha('partial')), null);
    });

    test('identical bytes put at once: one blob, both answers right', async () => {
      const bytes = Buffer.from('same bytes, twice at once');
      const [x, y] = await Promise.all([store.put(bytes), store.put(bytes)]);
      assert.equal(x.sha256, sha(bytes));
      assert.equal(y.sha256, sha(bytes));
      assert.equal(await text(await store.get(x.sha256)), bytes.toString());
    });

    test('delete removes a blob; it can be put again', async () => {
      const b = await store.put(Buffer.from('to delete'));
      assert.equal(await store.delete(b.sha256), true);
      assert.equal(await store.stat(b.sha256), null);
      assert.equal((await store.put(Buffer.from('to delete'))).created, true);
    });

    test('multipart upload: offsets, a cut connection keeps what arrived, limit, verified completion', async () => {
      const data = Buffer.from('0123456789'.repeat(50));
      const id = await store.createUpload();
      assert.equal(await store.uploadReceived(id), 0);
      assert.equal(await store.appendUpload(id, 0, data.subarray(0, 100)), 100);
      await assert.rejects(store.appendUpload(id, 50, data.subarray(50, 150)), (e: unknown) =>
        code('conflict')(e) && (e as AgoraError).details !== null && ((e as AgoraError).details as { received: number }).received === 100);
      async function* dying() {
        yield data.subarray(100, 150);
        throw new Error('connection reset');
      }
      await assert.rejects(store.appendUpload(id, 100, dying()), code('bad_request'));
      assert.equal(await store.uploadReceived(id), 150);
      await assert.rejects(store.appendUpload(id, 150, Buffer.alloc(900), { maxBytes: 500 }), code('payload_too_large'));
      assert.equal(await store.uploadReceived(id), 150, 'a chunk over the limit is refused whole');
      assert.equal(await store.appendUpload(id, 150, data.subarray(150), { maxBytes: 500 }), 500);
      await assert.rejects(store.completeUpload(id, sha('nope')), code('unprocessable'));
      assert.equal(await store.uploadReceived(id), 500, 'a mismatch keeps the upload');
      await assert.rejects(store.completeUpload(id, 'not a hash'), code('validation_failed'));
      assert.deepEqual(await store.completeUpload(id, sha(data)), { sha256: sha(data), size: 500, created: true });
      assert.equal(await text(await store.get(sha(data), { start: 495, end: 499 })), '56789');
      await assert.rejects(store.uploadReceived(id), code('not_found'));
      await assert.rejects(store.uploadReceived('../../x'), code('not_found'));
      await assert.rejects(store.appendUpload('0'.repeat(32), 0, Buffer.from('x')), code('not_found'));
    });

    test('multipart upload: one writer at a time; abort forgets it', async () => {
      const id = await store.createUpload();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let started!: () => void;
      const writing = new Promise<void>((r) => (started = r));
      async function* slow() {
        yield Buffer.from('ab');
        started();
        await gate;
      }
      const first = store.appendUpload(id, 0, slow());
      await writing;
      await assert.rejects(store.appendUpload(id, 0, Buffer.from('cd')), code('conflict'));
      await assert.rejects(store.completeUpload(id, sha('ab')), code('conflict'));
      release();
      assert.equal(await first, 2);
      await store.abortUpload(id);
      await assert.rejects(store.uploadReceived(id), code('not_found'));
      await store.abortUpload(id);
    });
  });
}
