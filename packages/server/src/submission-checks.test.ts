// Checks before quota is spent (decision 0180): a submission is checked against the challenge's
// declared manifest, required files and sizes at upload, every problem answered at once, nothing stored.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AgoraApiError, type AgoraClient } from '@agora/sdk';
import { tempDir } from '@agora/store/testing';
import { startTestServer, writeFixtureChallenge, type TestServer } from './testing.ts';

const RULES = `submission:
  max_bytes: 2000
  max_files: 4
  required_files: [weights.bin]
  manifest: { file: agora.json, fields: { command: { type: argv, required: true }, description: { type: string } }, placeholders: [port] }
`;

describe('submission checks at upload', () => {
  let t: TestServer;
  let ada: AgoraClient;
  const tmp = tempDir('agora-checks-');
  before(async () => {
    t = await startTestServer({ challengeDir: writeFixtureChallenge(join(tmp.path, 'c'), RULES) });
    ada = await t.join('ada');
  });
  after(async () => {
    await t.close();
    tmp.dispose();
  });

  const submit = (files: Record<string, string>, extra: object = {}) =>
    ada.call('createSubmission', { params: { collab: t.collab }, body: { title: 'x', files: Object.entries(files).map(([path, content]) => ({ path, content })), ...extra } });

  test('every problem in one 422, nothing stored; a good bundle then passes', async () => {
    const count = async () => (await ada.call('listSubmissions', { params: { collab: t.collab }, query: {} })).items.length;
    const before = await count();
    const err = await submit({ 'agora.json': '{"comand": ["node", "serve.ts", "{prt}"]}', 'a.txt': 'x'.repeat(2100), 'A.txt': '', 'b': '', 'c': '', 'd': '' }).then(
      () => assert.fail('accepted'),
      (e: unknown) => e as AgoraApiError,
    );
    assert.ok(err instanceof AgoraApiError);
    assert.equal(err.status, 422);
    const d = err.details as { problems: string[]; checks: Array<{ code: string }> };
    const all = d.problems.join('\n');
    for (const re of [/differ only in case/, /5 files; this challenge takes at most 4/, /add up to 2141 bytes/, /"weights.bin" is missing/, /"command" is missing/, /unknown field "comand".*did you mean "command"/])
      assert.match(all, re);
    assert.match(err.message, /^6 problems with the submission, nothing was stored or charged/);
    assert.equal(await count(), before, 'nothing stored');
    const ok = await submit({ 'agora.json': '{"command": ["node", "serve.ts", "--port", "{port}"]}', 'serve.ts': '', 'weights.bin': '' });
    assert.equal(ok.submission.fileCount, 3);
  });

  test('an artifact placed into the bundle counts as present; the script a command names must be there', async () => {
    const up = await fetch(ada.path('uploadArtifact', { collab: t.collab }, {}), { method: 'POST', headers: ada.headers({ 'content-type': 'application/octet-stream' }), body: 'w' });
    const art = (await up.json()) as { sha256: string };
    const err = await submit({ 'agora.json': '{"command": ["node", "serve.ts"]}' }, { artifacts: [{ path: 'weights.bin', sha256: art.sha256 }] }).catch((e: AgoraApiError) => e);
    assert.ok(err instanceof AgoraApiError);
    assert.deepEqual((err.details as { problems: string[] }).problems, ['agora.json: "command": argument 1 names "serve.ts", which is not in the bundle']);
  });
});
