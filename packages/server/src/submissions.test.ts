import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { AgoraApiError, AgoraClient, readResponse } from '@agora/sdk';
import { tempDir } from '@agora/store/testing';
import { startTestServer, writeFixtureChallenge, type TestServer } from './testing.ts';

const rejects = async (p: Promise<unknown>, status: number, code: string, match?: RegExp) => {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AgoraApiError, `expected an API error, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, status);
    if (match) assert.match(e.message, match);
    return true;
  });
};

// ---- a minimal tar writer, so tests can build archives no well-behaved tool would ----
function tarEntry(name: string, body: Buffer | string = '', opts: { type?: string; link?: string; mode?: number } = {}): Buffer {
  const data = Buffer.from(body);
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(`${(opts.mode ?? 0o644).toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  h.write(`${(1_700_000_000).toString(8).padStart(11, '0')}\0`, 136);
  h.write('        ', 148);
  h.write(opts.type ?? '0', 156);
  if (opts.link) h.write(opts.link, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return Buffer.concat([h, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}
const tgz = (...entries: Buffer[]) => gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
const files = (map: Record<string, string>, mode?: number) => Object.entries(map).map(([p, c]) => tarEntry(p, c, mode === undefined ? {} : { mode }));
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

async function upload(client: AgoraClient, collab: string, body: Buffer, query: Record<string, string>, type = 'application/gzip') {
  const res = await fetch(client.path('uploadSubmission', { collab }, query), {
    method: 'POST', headers: client.headers({ 'content-type': type }), body: new Uint8Array(body),
  });
  return readResponse(res) as Promise<{ submission: { id: number; fingerprint: string; files: { path: string }[] }; duplicateOf: { id: number } | null; suggestedParents: { id: number; similarity: number }[] }>;
}

const BASE = {
  'serve.py': 'import vllm\nprint("serve")\n',
  'manifest.yaml': 'model: gemma\nquant: none\n',
  'lib/kernels.py': 'def fused():\n    return 1\n',
  'lib/util.py': 'X = 1\n',
  'README.md': '# Base\n<script>alert(1)</script>\n',
};

describe('submissions, artifacts and bundle diffs', () => {
  let t: TestServer;
  let alice: AgoraClient, bob: AgoraClient, olga: AgoraClient;
  let base: number;
  const tmp = tempDir('agora-subs-');
  before(async () => {
    const dir = writeFixtureChallenge(join(tmp.path, 'challenge'), 'submission: { max_bytes: 200000, max_files: 20 }\n');
    t = await startTestServer({ challengeDir: dir });
    alice = await t.join('alice');
    bob = await t.join('bob');
    olga = await t.join('olga', 'observer');
  });
  after(async () => {
    await t.close();
    tmp.dispose();
  });

  test('inline JSON submission: stored, fingerprinted, event in the same transaction, readable by anyone', async () => {
    const created = await alice.call('createSubmission', {
      params: { collab: t.collab },
      body: {
        title: 'Baseline', description: 'the start', levers: ['Baseline'],
        files: [
          ...Object.entries(BASE).map(([path, content]) => ({ path, content })),
          { path: 'run.sh', content: Buffer.from('#!/bin/sh\necho hi\n').toString('base64'), encoding: 'base64' as const, executable: true },
        ],
      },
    });
    const s = created.submission;
    base = s.id;
    assert.equal(s.ref, `#s${s.id}`);
    assert.equal(s.author, 'alice');
    assert.deepEqual(s.levers, ['baseline']);
    assert.equal(s.fileCount, 6);
    assert.deepEqual(s.files.map((f) => f.path), ['README.md', 'lib/kernels.py', 'lib/util.py', 'manifest.yaml', 'run.sh', 'serve.py']);
    assert.equal(s.files.find((f) => f.path === 'run.sh')!.executable, true);
    assert.equal(s.files.find((f) => f.path === 'serve.py')!.sha256, sha(BASE['serve.py']));
    assert.equal(created.duplicateOf, null);
    assert.deepEqual(created.suggestedParents, []);

    const events = await t.anonymous.call('listEvents', { params: { collab: t.collab }, query: { types: 'submission.created' } });
    assert.equal(events.items.length, 1);
    assert.equal(events.items[0]!.subject, `#s${s.id}`);

    // Anonymous observers read it, download the canonical bundle and its files.
    const got = await t.anonymous.call('getSubmission', { params: { collab: t.collab, id: s.id } });
    assert.equal(got.fingerprint, s.fingerprint);
    const res = await fetch(t.anonymous.path('downloadBundle', { collab: t.collab, id: s.id }));
    assert.equal(res.headers.get('content-type'), 'application/gzip');
    const tar = gunzipSync(Buffer.from(await res.arrayBuffer()));
    assert.ok(tar.includes(Buffer.from('print("serve")')));
    assert.equal(createHash('sha256').update(new Uint8Array(await (await fetch(t.anonymous.path('downloadBundle', { collab: t.collab, id: s.id }))).arrayBuffer())).digest('hex'), s.bundleSha256);
    const file = await fetch(t.anonymous.path('getSubmissionFile', { collab: t.collab, id: s.id }, { path: 'README.md' }));
    assert.equal(file.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(file.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await file.text(), BASE['README.md']);
    await rejects(t.anonymous.call('getSubmission', { params: { collab: t.collab, id: 999_999 } }), 404, 'not_found');
  });

  test('tar.gz upload; an identical bundle in another shape is a duplicate; similar bundles suggest parents', async () => {
    // Same files, different order, modes of directories, mtimes: same fingerprint.
    const withRun = { ...BASE, 'run.sh': '#!/bin/sh\necho hi\n' };
    const entries = [tarEntry('./lib/', '', { type: '5', mode: 0o755 }), ...files({ ...BASE }).reverse().map((e) => e), tarEntry('run.sh', withRun['run.sh'], { mode: 0o755 })];
    const dup = await upload(bob, t.collab, tgz(...entries), { title: 'Same thing', parents: '' });
    assert.equal(dup.duplicateOf?.id, base);
    // The canonical bundle is rebuilt from the files: same files, same bytes.
    assert.equal((dup.submission as unknown as { bundleSha256: string }).bundleSha256, (await bob.call('getSubmission', { params: { collab: t.collab, id: base } })).bundleSha256);
    assert.equal(dup.submission.fingerprint, (await bob.call('getSubmission', { params: { collab: t.collab, id: base } })).fingerprint);

    // Bob changes one file of six and declares no parent: alice's baseline is suggested (his own duplicate is not).
    const changed = { ...withRun, 'lib/kernels.py': 'def fused():\n    return 2\n' };
    const sim = await upload(bob, t.collab, tgz(...files(changed)), { title: 'Faster kernel', levers: 'triton,fusion' });
    assert.equal(sim.duplicateOf, null);
    assert.deepEqual(sim.suggestedParents.map((p) => p.id), [base]);
    assert.ok(sim.suggestedParents[0]!.similarity >= 0.5 && sim.suggestedParents[0]!.similarity < 1);

    // Declaring the parent silences the suggestion.
    const declared = await upload(bob, t.collab, tgz(...files({ ...changed, 'extra.txt': 'x' })), { title: 'Declared', parents: `#s${base}`, credits: 'alice' });
    assert.deepEqual(declared.suggestedParents, []);
    const d = await bob.call('getSubmission', { params: { collab: t.collab, id: declared.submission.id } });
    assert.deepEqual(d.parents, [base]);
    assert.deepEqual(d.credits, [{ handle: 'alice', note: '' }]);
    const parent = await bob.call('getSubmission', { params: { collab: t.collab, id: base } });
    assert.ok(parent.children.includes(declared.submission.id));
  });

  test('two identical bundles at once: exactly one is the original, the other names it', async () => {
    const body = { title: 'race', files: [{ path: 'race.txt', content: 'the same bytes, twice at once' }] };
    const [x, y] = await Promise.all([
      alice.call('createSubmission', { params: { collab: t.collab }, body }),
      bob.call('createSubmission', { params: { collab: t.collab }, body }),
    ]);
    const originals = [x, y].filter((r) => r.duplicateOf === null);
    assert.equal(originals.length, 1);
    const copy = [x, y].find((r) => r.duplicateOf !== null)!;
    assert.equal(copy.duplicateOf!.id, originals[0]!.submission.id);
  });

  test('unknown parents, parents of another collaboration, unknown credits and artifacts are refused by name, writing nothing', async () => {
    const count = async () => (await t.testDb.db.query<{ n: number }>('select count(*)::int as n from submissions'))[0]!.n;
    const before = await count();
    const body = { title: 'x', files: [{ path: 'a.txt', content: 'a' }] };
    await rejects(alice.call('createSubmission', { params: { collab: t.collab }, body: { ...body, parents: ['#s999'] } }), 422, 'unprocessable', /#s999/);
    const other = await t.admin.call('createCollaboration', { body: { challengeDir: join(tmp.path, 'challenge'), slug: 'other' } });
    const foreign = await t.admin.call('createSubmission', { params: { collab: other.slug }, body });
    await rejects(alice.call('createSubmission', { params: { collab: t.collab }, body: { ...body, parents: [foreign.submission.id] } }), 422, 'unprocessable', new RegExp(`#s${foreign.submission.id}`));
    await rejects(alice.call('createSubmission', { params: { collab: t.collab }, body: { ...body, credits: [{ handle: 'nobody' }] } }), 422, 'unprocessable', /@nobody/);
    await rejects(alice.call('createSubmission', { params: { collab: t.collab }, body: { ...body, artifacts: [{ path: 'w.bin', sha256: 'a'.repeat(64) }] } }), 422, 'unprocessable');
    await rejects(alice.call('createSubmission', { params: { collab: t.collab }, body: { ...body, parents: ['1; drop table submissions'] as never } }), 400, 'validation_failed');
    await rejects(alice.call('getSubmission', { params: { collab: t.collab, id: foreign.submission.id } }), 404, 'not_found');
    assert.equal(await count(), before + 1, 'only the foreign one was written');
  });

  test('hostile archives: escapes, links, devices, bombs, too many files, not gzip: 413/422 and nothing written', async () => {
    const count = async () => (await t.testDb.db.query<{ n: number }>('select count(*)::int as n from submissions'))[0]!.n;
    const before = await count();
    const q = { title: 'evil' };
    const cases: [Buffer, number, RegExp][] = [
      [tgz(tarEntry('../escape.txt', 'x')), 422, /\.\./],
      [tgz(tarEntry('ok/../../escape.txt', 'x')), 422, /\.\./],
      [tgz(tarEntry('/etc/cron.d/x', 'x')), 422, /absolute/],
      [tgz(tarEntry('link', '', { type: '2', link: '/etc/passwd' })), 422, /SymbolicLink/],
      [tgz(tarEntry('a.txt', 'x'), tarEntry('hard', '', { type: '1', link: 'a.txt' })), 422, /Link/],
      [tgz(tarEntry('dev', '', { type: '3' })), 422, /CharacterDevice/],
      [tgz(tarEntry('fifo', '', { type: '6' })), 422, /FIFO/],
      [tgz(tarEntry('A.txt', 'x'), tarEntry('a.txt', 'y')), 422, /case/],
      [tgz(tarEntry('x', 'file'), tarEntry('x/y', 'nested')), 422, /folder/],
      [tgz(tarEntry('dup', '1'), tarEntry('dup', '2')), 422, /twice/],
      [tgz(...Array.from({ length: 21 }, (_, i) => tarEntry(`f${i}`, 'x'))), 413, /more than 20 files/],
      // 10 MB of zeros compress to about 10 KB: counted as they decompress and stopped at 200 KB.
      [tgz(tarEntry('bomb.bin', Buffer.alloc(10 * 1024 * 1024))), 413, /more than 200000/],
      [Buffer.from('this is not gzip at all'), 422, /gzip/],
      [gzipSync(Buffer.from('not a tar archive, just text padded out'.repeat(40))), 422, /tar/],
      [tgz(), 422, /tar/],
      [tgz(tarEntry('only-a-folder/', '', { type: '5' })), 422, /no files/],
    ];
    for (const [body, status, msg] of cases) {
      await rejects(upload(alice, t.collab, body, q), status, status === 413 ? 'payload_too_large' : 'unprocessable', msg);
    }
    await rejects(upload(alice, t.collab, tgz(tarEntry('a', 'b')), q, 'text/html'), 415, 'unsupported_media_type');
    await rejects(upload(alice, t.collab, Buffer.alloc(300_000, 1), q), 413, 'payload_too_large');
    // Without a Content-Length (chunked), the limit holds while the body streams to disk.
    const chunked = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < 30; i++) ctl.enqueue(new Uint8Array(10_000).fill(7));
        ctl.close();
      },
    });
    const res = await fetch(alice.path('uploadSubmission', { collab: t.collab }, q), {
      method: 'POST', headers: alice.headers({ 'content-type': 'application/gzip' }), body: chunked, duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 413);
    await res.body?.cancel();
    await rejects(alice.call('createSubmission', { params: { collab: t.collab }, body: { title: 'x', files: [{ path: 'a\\b', content: '' }] } }), 400, 'validation_failed');
    await rejects(alice.call('createSubmission', { params: { collab: t.collab }, body: { title: 'x', files: [{ path: 'a', content: '!!notbase64!!', encoding: 'base64' }] } }), 400, 'validation_failed');
    assert.equal(await count(), before);
    const leftovers = await t.testDb.db.query('select 1 from events where type = $1 and payload->>$2 = $3', ['submission.created', 'title', 'evil']);
    assert.equal(leftovers.length, 0);
  });

  test('roles: observers and anonymous callers read but do not submit', async () => {
    const body = { title: 'x', files: [{ path: 'a.txt', content: 'a' }] };
    await rejects(olga.call('createSubmission', { params: { collab: t.collab }, body }), 403, 'forbidden');
    await rejects(t.anonymous.call('createSubmission', { params: { collab: t.collab }, body }), 401, 'unauthorized');
    const list = await olga.call('listSubmissions', { params: { collab: t.collab } });
    assert.ok(list.items.length >= 3);
  });

  test('list: filters and cursor pagination, newest first', async () => {
    const byBob = await t.anonymous.call('listSubmissions', { params: { collab: t.collab }, query: { author: 'bob' } });
    assert.ok(byBob.items.length >= 3 && byBob.items.every((s) => s.author === 'bob'));
    const triton = await t.anonymous.call('listSubmissions', { params: { collab: t.collab }, query: { lever: 'triton' } });
    assert.ok(triton.items.length >= 1 && triton.items.every((s) => s.levers.includes('triton')));
    const kids = await t.anonymous.call('listSubmissions', { params: { collab: t.collab }, query: { parent: `#s${base}` } });
    assert.deepEqual(kids.items.map((s) => s.title), ['Declared']);
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.anonymous.call('listSubmissions', { params: { collab: t.collab }, query: { limit: 2, ...(cursor ? { cursor } : {}) } });
      assert.ok(page.items.length <= 2);
      seen.push(...page.items.map((s) => s.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const all = await t.anonymous.call('listSubmissions', { params: { collab: t.collab }, query: { limit: 200 } });
    assert.deepEqual(seen, all.items.map((s) => s.id));
    assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
    await rejects(t.anonymous.call('listSubmissions', { params: { collab: t.collab }, query: { cursor: 'garbage' } }), 400, 'validation_failed');
  });

  test('diff against each parent and against any submission', async () => {
    const child = await alice.call('createSubmission', {
      params: { collab: t.collab },
      body: {
        title: 'Child', parents: [base],
        files: [
          { path: 'serve.py', content: 'import vllm\nprint("serve fast")\n' },
          { path: 'manifest.yaml', content: BASE['manifest.yaml'] },
          { path: 'lib/kernels2.py', content: BASE['lib/kernels.py'] },
          { path: 'lib/util.py', content: BASE['lib/util.py'] },
          { path: 'blob.bin', content: Buffer.from([0, 1, 2, 3]).toString('base64'), encoding: 'base64' },
        ],
      },
    });
    const diff = await t.anonymous.call('diffSubmission', { params: { collab: t.collab, id: child.submission.id } });
    assert.equal(diff.items.length, 1);
    const d = diff.items[0]!;
    assert.equal(d.against, base);
    const byPath = new Map(d.files.map((f) => [f.path, f]));
    assert.equal(byPath.get('serve.py')!.status, 'modified');
    assert.match(byPath.get('serve.py')!.unified!, /^--- a\/serve\.py\n\+\+\+ b\/serve\.py\n@@/);
    assert.match(byPath.get('serve.py')!.unified!, /\n-print\("serve"\)\n\+print\("serve fast"\)\n/);
    assert.equal(byPath.get('lib/kernels2.py')!.status, 'renamed');
    assert.equal(byPath.get('lib/kernels2.py')!.oldPath, 'lib/kernels.py');
    assert.equal(byPath.get('README.md')!.status, 'removed');
    assert.equal(byPath.get('blob.bin')!.status, 'added');
    assert.equal(byPath.get('blob.bin')!.binary, true);
    assert.equal(byPath.get('blob.bin')!.unified, null);
    assert.equal(d.unchanged, 2);
    const vs = await t.anonymous.call('diffSubmission', { params: { collab: t.collab, id: base }, query: { against: `#s${child.submission.id}` } });
    assert.equal(vs.items[0]!.against, child.submission.id);
    assert.equal(vs.items[0]!.files.find((f) => f.path === 'README.md')!.status, 'added');
    await rejects(t.anonymous.call('diffSubmission', { params: { collab: t.collab, id: base }, query: { against: '#s99999' } }), 422, 'unprocessable');
  });

  test('stage and unstage by the author only; invalidated submissions stay readable and cannot be staged', async () => {
    const s = await bob.call('setSubmissionStaged', { params: { collab: t.collab, id: base }, body: { staged: true } }).catch((e: unknown) => e);
    assert.ok(s instanceof AgoraApiError && s.status === 403, 'bob is not the author of the baseline');
    const on = await alice.call('setSubmissionStaged', { params: { collab: t.collab, id: base }, body: { staged: true } });
    assert.equal(on.staged, true);
    const staged = await t.anonymous.call('listSubmissions', { params: { collab: t.collab }, query: { staged: 'true' } });
    assert.deepEqual(staged.items.map((x) => x.id), [base]);
    const off = await alice.call('setSubmissionStaged', { params: { collab: t.collab, id: base }, body: { staged: false } });
    assert.equal(off.staged, false);
    const evs = await t.anonymous.call('listEvents', { params: { collab: t.collab }, query: { types: 'submission.staged,submission.unstaged' } });
    assert.deepEqual(evs.items.map((e) => e.type), ['submission.staged', 'submission.unstaged']);
    await t.testDb.db.query(`update submissions set invalidated_at = now(), invalidated_reason = 'ruling' where id = $1`, [base]);
    const inv = await t.anonymous.call('getSubmission', { params: { collab: t.collab, id: base } });
    assert.equal(inv.invalidated?.reason, 'ruling');
    await rejects(alice.call('setSubmissionStaged', { params: { collab: t.collab, id: base }, body: { staged: true } }), 409, 'conflict');
    const res = await fetch(t.anonymous.path('downloadBundle', { collab: t.collab, id: base }));
    assert.equal(res.status, 200);
  });

  test('resumable artifact upload: offsets, foreign uploads, hash check, reference from a submission, ranged download', async () => {
    const weights = Buffer.alloc(300_000);
    for (let i = 0; i < weights.length; i++) weights[i] = (i * 7) % 251;
    const u = await alice.call('createArtifactUpload', { params: { collab: t.collab }, body: { size: weights.length } });
    const put = (client: AgoraClient, chunk: Buffer, headers: Record<string, string>, query: Record<string, unknown> = {}) =>
      fetch(client.path('putArtifactUploadChunk', { collab: t.collab, uploadId: u.uploadId }, query), {
        method: 'PUT', headers: client.headers({ 'content-type': 'application/octet-stream', ...headers }), body: new Uint8Array(chunk),
      }).then(readResponse) as Promise<{ received: number }>;
    assert.equal((await put(alice, weights.subarray(0, 100_000), {}, { offset: 0 })).received, 100_000);
    // A repeated chunk (lost reply, retry) is refused with where to resume.
    await assert.rejects(put(alice, weights.subarray(0, 100_000), {}, { offset: 0 }), (e: unknown) => e instanceof AgoraApiError && e.status === 409 && (e.details as { received: number }).received === 100_000);
    await rejects(put(bob, weights.subarray(100_000, 200_000), {}, { offset: 100_000 }), 404, 'not_found');
    assert.equal((await put(alice, weights.subarray(100_000), { 'content-range': `bytes 100000-299999/300000` })).received, 300_000);
    await rejects(put(alice, Buffer.from('x'), {}, { offset: 300_000 }), 413, 'payload_too_large');
    assert.equal((await alice.call('getArtifactUpload', { params: { collab: t.collab, uploadId: u.uploadId } })).received, 300_000);
    await rejects(alice.call('completeArtifactUpload', { params: { collab: t.collab, uploadId: u.uploadId }, body: { sha256: 'b'.repeat(64) } }), 422, 'unprocessable');
    const art = await alice.call('completeArtifactUpload', { params: { collab: t.collab, uploadId: u.uploadId }, body: { sha256: sha(weights) } });
    assert.equal(art.sha256, sha(weights));
    assert.equal(art.size, 300_000);
    assert.equal(art.uploadedBy, 'alice');
    await rejects(alice.call('getArtifactUpload', { params: { collab: t.collab, uploadId: u.uploadId } }), 409, 'conflict');

    const withWeights = await alice.call('createSubmission', {
      params: { collab: t.collab },
      body: { title: 'int4 head', files: [{ path: 'serve.py', content: 'load("ckpt/w.bin")\n' }], artifacts: [{ path: 'ckpt/w.bin', sha256: art.sha256 }] },
    });
    assert.deepEqual(withWeights.submission.artifacts, [{ path: 'ckpt/w.bin', sha256: art.sha256, size: 300_000 }]);
    await rejects(alice.call('createSubmission', {
      params: { collab: t.collab },
      body: { title: 'clash', files: [{ path: 'ckpt', content: 'x' }], artifacts: [{ path: 'ckpt/w.bin', sha256: art.sha256 }] },
    }), 422, 'unprocessable');

    const ranged = await fetch(olga.path('downloadArtifact', { collab: t.collab, sha256: art.sha256 }), { headers: olga.headers({ range: 'bytes=10-19' }) });
    assert.equal(ranged.status, 206);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), weights.subarray(10, 20));
    const whole = await fetch(t.anonymous.path('downloadArtifact', { collab: t.collab, sha256: art.sha256 }));
    assert.equal(sha(Buffer.from(await whole.arrayBuffer())), art.sha256);
    await rejects(t.anonymous.call('getArtifact', { params: { collab: 'other', sha256: art.sha256 } }), 404, 'not_found');

    // One-shot upload of a small bundle, then a submission from it by hash.
    const bundle = tgz(...files({ 'main.py': 'print(1)\n' }));
    const one = await fetch(alice.path('uploadArtifact', { collab: t.collab }, { mediaType: 'application/gzip' }), {
      method: 'POST', headers: alice.headers({ 'content-type': 'application/octet-stream' }), body: new Uint8Array(bundle),
    }).then(readResponse) as { sha256: string };
    const fromHash = await alice.call('createSubmission', { params: { collab: t.collab }, body: { title: 'by hash', bundle: one.sha256 } });
    assert.deepEqual(fromHash.submission.files.map((f) => f.path), ['main.py']);

    // Observers may not upload; an aborted upload is gone.
    await rejects(olga.call('createArtifactUpload', { params: { collab: t.collab }, body: {} }), 403, 'forbidden');
    const u2 = await bob.call('createArtifactUpload', { params: { collab: t.collab }, body: {} });
    await bob.call('abortArtifactUpload', { params: { collab: t.collab, uploadId: u2.uploadId } });
    await rejects(bob.call('getArtifactUpload', { params: { collab: t.collab, uploadId: u2.uploadId } }), 404, 'not_found');
  });
});
