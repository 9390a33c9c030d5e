import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPublicChallengePath } from './public-files.ts';

test('public challenge files: an allowlist that never reaches private data', () => {
  for (const p of ['RULES.md', 'challenge.yaml', 'data/public/prompts.json', 'submissions/baseline/serve.ts'])
    assert.equal(isPublicChallengePath(p), true, p);
  for (const p of ['data/private/prompts.json', 'harness/main.ts', '../etc/passwd', '/etc/passwd', 'data/public/../private/x',
    'data/public/./x', 'submissions/x/private-notes.md', '.git/config', 'data\\private\\x', 'notes.txt', 'data/public/', ''])
    assert.equal(isPublicChallengePath(p), false, p);
});
