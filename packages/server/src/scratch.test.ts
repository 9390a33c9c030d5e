import assert from 'node:assert/strict';
import { readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { tempDir } from '@agora/store/testing';
import { Scratch } from './scratch.ts';

const tmp = tempDir('agora-scratch-');
after(() => tmp.dispose());

test('stale scratch files and folders are swept, fresh ones kept', async () => {
  const scratch = await new Scratch(join(tmp.path, 'work')).init();
  const old = await scratch.workDir('old-');
  const fresh = await scratch.workDir('fresh-');
  const past = new Date(Date.now() - 2 * 24 * 3600 * 1000);
  utimesSync(old.path, past, past);
  assert.equal(await scratch.cleanStale(), 1);
  assert.deepEqual(readdirSync(scratch.root), [fresh.path.split('/').at(-1)]);
  await fresh.dispose();
  assert.deepEqual(readdirSync(scratch.root), []);
});
