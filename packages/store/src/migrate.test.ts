import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadMigrations } from './migrate.ts';

test('the shipped migrations have distinct numbers, in order', () => {
  const versions = loadMigrations().map((m) => m.version);
  assert.deepEqual(versions, [...new Set(versions)].sort((a, b) => a - b));
});

test('two migrations with one number are refused, naming both', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agora-migrations-'));
  try {
    writeFileSync(join(dir, '0001_a.sql'), 'select 1;');
    writeFileSync(join(dir, '0002_b.sql'), 'select 1;');
    writeFileSync(join(dir, '0002_c.sql'), 'select 1;');
    assert.throws(() => loadMigrations(`${dir}/`), /0002_b and 0002_c share the number 2/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
