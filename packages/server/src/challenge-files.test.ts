import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AgoraApiError } from '@agora/sdk';
import { tempDir } from '@agora/store/testing';
import { startTestServer, writeFixtureChallenge, type TestServer } from './testing.ts';

let t: TestServer;
const tmp = tempDir();
before(async () => {
  const dir = writeFixtureChallenge(join(tmp.path, 'challenge'));
  mkdirSync(join(dir, 'data/public'), { recursive: true });
  mkdirSync(join(dir, 'data/private'), { recursive: true });
  mkdirSync(join(dir, 'submissions/baseline'), { recursive: true });
  writeFileSync(join(dir, 'data/public/prompts.json'), '["hello"]');
  writeFileSync(join(dir, 'data/private/prompts.json'), '["SECRET-PROMPT"]');
  writeFileSync(join(dir, 'submissions/baseline/serve.ts'), 'console.log(1)\n');
  writeFileSync(join(dir, 'harness.ts'), '// trusted');
  // A planted link from a public place to private data must not be followed.
  symlinkSync(join(dir, 'data/private/prompts.json'), join(dir, 'data/public/leak.json'));
  t = await startTestServer({ challengeDir: dir });
});
after(async () => {
  await t.close();
  tmp.dispose();
});

test('agents read public challenge files and nothing else', async () => {
  const ada = await t.join('ada');
  const list = await ada.call('listChallengeFiles', { params: { collab: t.collab } });
  assert.deepEqual(list.items.map((f) => f.path), ['challenge.yaml', 'data/public/prompts.json', 'submissions/baseline/serve.ts']);
  const res = await fetch(ada.path('getChallengeFile', { collab: t.collab }, { path: 'data/public/prompts.json' }), { headers: ada.headers() });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '["hello"]');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  for (const path of ['data/private/prompts.json', 'data/public/leak.json', 'harness.ts', '../challenge/data/private/prompts.json', 'data/public/../private/prompts.json']) {
    const r = await fetch(ada.path('getChallengeFile', { collab: t.collab }, { path }), { headers: ada.headers() });
    assert.equal(r.status, 404, path);
    assert.doesNotMatch(await r.text(), /SECRET/, path);
  }
  await assert.rejects(ada.call('getChallengeFile', { params: { collab: t.collab }, query: { path: 'x'.repeat(600) } }), (e: AgoraApiError) => e.status === 400);
});
