// Hints in the form the user runs agora (stumble 5; decision 0181): pure over the environment.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { test } from 'node:test';
import { agoraCommand, REPO_ROOT } from './invocation.ts';

test('hints name agora on PATH, through npm, or the ./agora launcher from where the user typed', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'agora-invocation-'));
  try {
    const mine = join(tmp, 'mine');
    const other = join(tmp, 'other');
    mkdirSync(mine);
    mkdirSync(other);
    symlinkSync(join(REPO_ROOT, 'packages/cli/bin/agora'), join(mine, 'agora'));
    writeFileSync(join(other, 'agora'), '#!/bin/sh\n', { mode: 0o755 });
    const npmBin = join(REPO_ROOT, 'node_modules/.bin');
    const base = { PATH: '/usr/bin:/bin', INIT_CWD: REPO_ROOT };
    assert.equal(agoraCommand(base), './agora', 'from the repository root: the launcher there');
    assert.equal(agoraCommand({ ...base, INIT_CWD: join(REPO_ROOT, 'packages/cli') }), '../../agora');
    assert.equal(agoraCommand({ PATH: '/usr/bin' }, REPO_ROOT), './agora', 'without npm: the working folder');
    assert.equal(agoraCommand({ ...base, npm_lifecycle_event: 'agora', PATH: `${npmBin}${delimiter}/usr/bin` }), 'npm run agora --', "npm's own node_modules/.bin is not the user's PATH");
    assert.equal(agoraCommand({ ...base, PATH: `${mine}${delimiter}/usr/bin` }), 'agora');
    assert.equal(agoraCommand({ ...base, npm_lifecycle_event: 'agora', PATH: `${mine}${delimiter}/usr/bin` }), 'agora', 'on PATH wins: it is shortest');
    assert.equal(agoraCommand({ ...base, PATH: `${other}${delimiter}${mine}` }), './agora', 'another agora first on PATH is not ours');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
