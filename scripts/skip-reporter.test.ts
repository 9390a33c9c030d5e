import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

// Node's summary counts neither a skipped suite nor the tests inside it: the reporter must name both.
test('the skip reporter names every skipped suite and test with its reason', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agora-skip-'));
  try {
    writeFileSync(join(dir, 'x.test.ts'), [
      "import { describe, test } from 'node:test';",
      "describe('sandboxed', { skip: 'no bubblewrap' }, () => { test('a', () => {}); test('b', () => {}); });",
      "test('engine', { skip: 'PostgreSQL only' }, () => {});",
      "test('later', (t) => t.skip('decided while running'));",
      "test('runs', () => {});",
    ].join('\n'));
    const out = join(dir, 'skips.jsonl');
    const r = spawnSync(process.execPath, ['--test', '--test-reporter=dot', `--test-reporter=${join(import.meta.dirname, 'skip-reporter.ts')}`, '--test-reporter-destination=stdout', `--test-reporter-destination=${out}`, join(dir, 'x.test.ts')], {
      encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: undefined }, // a run of its own, not a subtest of this one
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { name: string; kind: string; reason: string });
    assert.deepEqual(lines.map((l) => [l.name, l.kind, l.reason]), [
      ['sandboxed', 'suite', 'no bubblewrap'], ['engine', 'test', 'PostgreSQL only'], ['later', 'test', 'decided while running'],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
