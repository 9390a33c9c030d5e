// The harness run by hand (`node harness/main.ts --submission DIR ...`, the README's "Run it")
// sandboxes the submission by default; `--unsandboxed` is the loud opt-out. A hostile submission
// tries to plant a file on the host: it can only do so under the opt-out.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DEFAULT_CHALLENGES } from './cli.ts';
import { sandboxSkip } from './sandbox/test-gate.ts';
import { standalonePrefix } from './standalone.ts';

const TINY = join(DEFAULT_CHALLENGES, 'tiny-lm');

describe('the standalone tiny-lm harness', { skip: sandboxSkip() }, () => {
  const root = mkdtempSync(join(tmpdir(), 'agora-standalone-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const planted = join(root, 'planted-by-the-submission');
  const sub = join(root, 'hostile');
  spawnSync('mkdir', ['-p', sub]);
  writeFileSync(join(sub, 'agora.json'), JSON.stringify({ command: ['node', 'serve.cjs'] }));
  writeFileSync(join(sub, 'serve.cjs'), `
    try { require('fs').writeFileSync(${JSON.stringify(planted)}, 'x'); } catch (e) { console.error('plant: ' + e.code); }
    console.error('uid ' + process.getuid());
    process.exit(3);
  `);

  const harness = (...extra: string[]) => {
    const out = join(root, `result-${extra.length}.json`);
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.AGORA_SANDBOX_EXEC;
    const r = spawnSync(process.execPath, ['harness/main.ts', '--submission', sub, '--split', 'public', '--out', out, ...extra], { cwd: TINY, env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    return { result: JSON.parse(readFileSync(out, 'utf8')) as { status: string; environment: { sandbox: string }; failure?: { reason: string } }, stderr: r.stderr };
  };

  test('by default the submission runs in the sandbox and cannot reach the host', () => {
    const { result } = harness();
    assert.equal(result.status, 'failed');
    assert.match(result.environment.sandbox, /^bubblewrap/);
    assert.match(result.failure!.reason, /plant: (ENOENT|EACCES|EROFS)/);
    assert.equal(existsSync(planted), false, 'the submission planted a file on the host');
  });

  test('--unsandboxed runs it with the caller\'s rights, after a loud warning', () => {
    const { result, stderr } = harness('--unsandboxed');
    assert.match(stderr, /--unsandboxed: the submission runs WITHOUT a sandbox/);
    assert.equal(result.environment.sandbox, 'none');
    assert.equal(existsSync(planted), true, 'control: unsandboxed, the same submission does plant it');
  });

  test('the prefix carries the challenge\'s limits', () => {
    const prefix = standalonePrefix(TINY, sub);
    const at = (flag: string) => prefix[prefix.indexOf(flag) + 1];
    assert.equal(at('--wall'), '180');
    assert.equal(at('--mem'), '1024');
    assert.equal(at('--bundle'), sub);
    assert.equal(prefix.at(-1), '--');
  });
});
