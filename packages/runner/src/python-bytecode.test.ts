// The shared Python bytecode tree (python-bytecode.ts, docs/decisions/0071): compiled by the runner
// with the real /usr/bin/python3 over a temp dir (never the system site-packages: minutes in CI),
// then used read-only at /pycache in a real sandbox.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runnerMain } from './cli.ts';
import { lockEntry } from './cache.ts';
import { bytecodeLine, prepareBytecode, runnerBytecode } from './python-bytecode.ts';
import { parseExecArgs, sandboxExecPrefix } from './sandbox/exec.ts';
import { findExecutable, spawnSandboxed } from './sandbox/index.ts';
import { sandboxSkip } from './sandbox/test-gate.ts';

const PY = '/usr/bin/python3';
const noPython = existsSync(PY) ? false : `${PY} is missing`;
const LIMITS = { wallSeconds: 60, cpuSeconds: 60, memoryMb: 512, processes: 64 };

let work: string;
let site: string;
before(() => {
  work = realpathSync(mkdtempSync(join(tmpdir(), 'agora-pybc-')));
  site = join(work, 'site');
  mkdirSync(join(site, 'pkg'), { recursive: true });
  writeFileSync(join(site, 'pkg', '__init__.py'), '');
  writeFileSync(join(site, 'pkg', 'mod.py'), 'VALUE = 42\n');
  writeFileSync(join(site, 'mod.py'), 'VALUE = 7\n');
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Where Python puts `source`'s bytecode under `prefix`. */
const cachedPath = (prefix: string, source: string) =>
  execFileSync(PY, ['-c', 'import importlib.util, sys; print(importlib.util.cache_from_source(sys.argv[1]))', source], {
    env: { PATH: '/usr/bin:/bin', PYTHONPYCACHEPREFIX: prefix },
    encoding: 'utf8',
  }).trim();

describe('prepareBytecode', { skip: noPython }, () => {
  test('compiles the dirs into <root>/python-bytecode/<16 hex>, skips when nothing changed, again when a dir changes; a held lock is a problem', () => {
    const root = join(work, 'root1');
    const logs: string[] = [];
    const first = prepareBytecode({ python: PY, root, dirs: [site, site, join(work, 'missing')], log: (l) => logs.push(l) });
    assert.ok('dir' in first, JSON.stringify(first));
    assert.match(first.dir, new RegExp(`^${root}/python-bytecode/[0-9a-f]{16}$`));
    assert.equal(first.skipped, false);
    assert.equal(first.python, realpathSync(PY));
    const pyc = cachedPath(first.dir, join(site, 'pkg', 'mod.py'));
    assert.ok(pyc.startsWith(first.dir + '/'), pyc);
    assert.ok(existsSync(pyc), `no ${pyc}`);
    assert.ok(existsSync(cachedPath(first.dir, join(site, 'mod.py'))));
    assert.ok(!existsSync(join(site, 'pkg', '__pycache__')), 'nothing written beside the sources');
    assert.ok(existsSync(join(first.dir, '.complete')));
    assert.ok(!existsSync(`${first.dir}.lock`), 'the lock is released');
    assert.match(bytecodeLine(first), /^python bytecode: .* \(compiled in \d+\.\d s\) for \/usr\/bin\/python3/);

    const second = prepareBytecode({ python: PY, root, dirs: [site] });
    assert.deepEqual(second, { dir: first.dir, seconds: 0, skipped: true, python: first.python });
    assert.match(bytecodeLine(second), /\(up to date\)/);

    // A new package: the dir's mtime and entry count change, so it compiles again.
    mkdirSync(join(site, 'newpkg'));
    writeFileSync(join(site, 'newpkg', '__init__.py'), 'X = 1\n');
    const later = new Date(Date.now() + 5000);
    utimesSync(site, later, later);
    const third = prepareBytecode({ python: PY, root, dirs: [site] });
    assert.ok('dir' in third && !third.skipped, JSON.stringify(third));
    assert.equal(third.dir, first.dir, 'same interpreter and dirs: same tree');
    assert.ok(existsSync(cachedPath(first.dir, join(site, 'newpkg', '__init__.py'))));

    // Another runner compiling: this one goes on without.
    writeFileSync(join(site, 'another.py'), 'Y = 2\n');
    const lock = lockEntry(first.dir, 60_000, 'a test');
    assert.ok(lock);
    try {
      const held = prepareBytecode({ python: PY, root, dirs: [site] });
      assert.ok('problem' in held, JSON.stringify(held));
      assert.match(held.problem, /lock is held/);
      assert.match(bytecodeLine(held), /^python bytecode: off \(.*lock is held/);
    } finally {
      lock.release();
    }
    assert.ok('dir' in prepareBytecode({ python: PY, root, dirs: [site] }));
  });

  test('a file that does not compile is not fatal; a missing interpreter is a problem', () => {
    const bad = join(work, 'bad-site');
    mkdirSync(bad);
    writeFileSync(join(bad, 'broken.py'), 'def (:\n');
    writeFileSync(join(bad, 'fine.py'), 'Z = 3\n');
    const logs: string[] = [];
    const r = prepareBytecode({ python: PY, root: join(work, 'root2'), dirs: [bad], log: (l) => logs.push(l) });
    assert.ok('dir' in r, JSON.stringify(r));
    assert.ok(existsSync(cachedPath(r.dir, join(bad, 'fine.py'))));
    assert.ok(existsSync(join(r.dir, '.complete')));
    assert.ok(logs.some((l) => /1 file\(s\) did not compile/.test(l)), logs.join('\n'));

    const none = prepareBytecode({ python: join(work, 'no-python'), root: join(work, 'root3') });
    assert.ok('problem' in none && /no such executable/.test(none.problem), JSON.stringify(none));
    assert.equal(findExecutable('definitely-not-a-command-agora'), null);
    assert.equal(findExecutable('sh', '/usr/bin:/bin')?.endsWith('/sh'), true);
  });
});

describe('the tree in the sandbox', { skip: noPython || sandboxSkip() }, () => {
  test('read-only at /pycache with PYTHONPYCACHEPREFIX=/pycache (over /cache/python): imports use it, writes fail', async () => {
    const prepared = prepareBytecode({ python: PY, root: join(work, 'root4'), dirs: [site] });
    assert.ok('dir' in prepared, JSON.stringify(prepared));
    const bundle = join(work, 'bundle');
    const scratch = join(work, 'scratch');
    const cacheDir = join(work, 'cache');
    for (const d of [bundle, scratch, cacheDir]) mkdirSync(d, { recursive: true });
    const script = [
      'import errno, json, os, sys',
      `sys.path.insert(0, ${JSON.stringify(site)})`,
      'import mod',
      'try:',
      "    open('/pycache/planted', 'w').write('x')",
      "    wrote = 'yes'",
      'except OSError as e:',
      '    wrote = errno.errorcode.get(e.errno, str(e.errno))',
      "print(json.dumps({'prefix': sys.pycache_prefix, 'cached': mod.__cached__, 'exists': os.path.exists(mod.__cached__), 'value': mod.VALUE, 'wrote': wrote}))",
    ].join('\n');
    const run = async (extra: { env?: Record<string, string> } = {}) => {
      const p = spawnSandboxed({
        bundleDir: bundle,
        scratchDir: scratch,
        command: [PY, '-v', '-c', script],
        limits: LIMITS,
        readOnlyBinds: [site],
        cacheDir,
        pythonBytecodeDir: prepared.dir,
        ...extra,
      });
      let out = '';
      let err = '';
      p.child.stdout.on('data', (b) => (out += b));
      p.child.stderr.on('data', (b) => (err += b));
      const o = await p.done;
      assert.equal(o.exitCode, 0, err.slice(-2000));
      return { seen: JSON.parse(out.trim().split('\n').pop()!), err };
    };
    const { seen, err } = await run();
    assert.equal(seen.prefix, '/pycache', 'the tree wins over the cache dir\'s /cache/python');
    assert.equal(seen.value, 7);
    assert.equal(seen.cached, `/pycache${site}/${mod311(seen.cached)}`);
    assert.equal(seen.exists, true);
    assert.ok(['EROFS', 'EACCES'].includes(seen.wrote), `wrote: ${seen.wrote}`);
    assert.ok(!existsSync(join(prepared.dir, 'planted')));
    // python -v: the module's code came from the tree's bytecode, not compiled again.
    assert.match(err, new RegExp(`code object from '${seen.cached.replace(/[.]/g, '\\.')}'`));
    assert.ok(!existsSync(join(cacheDir, 'python')), 'nothing written to /cache/python');

    const overridden = await run({ env: { PYTHONPYCACHEPREFIX: '/scratch/py' } });
    assert.equal(overridden.seen.prefix, '/scratch/py', 'the spec\'s env (a manifest) still overrides it');
  });
});

/** The pyc's file name from its path (mod.cpython-3XY.pyc). */
const mod311 = (cached: string) => cached.split('/').pop()!;

test('exec.ts --python-bytecode DIR round-trips through the prefix', () => {
  const dir = mkdtempSync(join(tmpdir(), 'agora-pybc-exec-'));
  try {
    const prefix = sandboxExecPrefix({ bundleDir: dir, scratchDir: dir, limits: LIMITS, pythonBytecodeDir: dir });
    assert.deepEqual(prefix.slice(prefix.indexOf('--python-bytecode'), prefix.indexOf('--python-bytecode') + 2), ['--python-bytecode', dir]);
    assert.equal(parseExecArgs([...prefix.slice(2), 'true']).spec.pythonBytecodeDir, dir);
    const without = sandboxExecPrefix({ bundleDir: dir, scratchDir: dir, limits: LIMITS });
    assert.ok(!without.includes('--python-bytecode'));
    assert.equal(parseExecArgs([...without.slice(2), 'true']).spec.pythonBytecodeDir, undefined);
    assert.throws(() => parseExecArgs(['--bundle', dir, '--python-bytecode']), /missing `-- cmd/);
    assert.throws(() => parseExecArgs(['--python-bytecode', '--', 'true']), /--python-bytecode needs a value/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CLI: --python-bytecode and --no-python-bytecode are checked', async () => {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const cases: Array<[string[], RegExp]> = [
    [['run-offline', work, '--python-bytecode', PY, '--no-python-bytecode'], /--python-bytecode and --no-python-bytecode contradict each other/],
    [['start', '--server', 'http://127.0.0.1:9', '--token', 't', '--labels', 'cpu', '--no-cache', '--python-bytecode', PY, '--no-python-bytecode'], /contradict each other/],
    [['run-offline', work, '--python-bytecode', ' '], /--python-bytecode needs a Python interpreter/],
    [['export', '--out', join(work, 'e'), '--no-python-bytecode'], /are for start and run-offline, not export/],
    [['upload', work, '--python-bytecode', PY], /are for start and run-offline, not upload/],
  ];
  for (const [argv, want] of cases) {
    lines.length = 0;
    assert.equal(await runnerMain(argv, log), 2, argv.join(' '));
    assert.match(lines.join('\n'), want, argv.join(' '));
  }
  lines.length = 0;
  assert.equal(await runnerMain(['--help'], log), 0);
  assert.match(lines.join('\n'), /\[--python-bytecode PYTHON \| --no-python-bytecode\]/);
});

test('runnerBytecode: off when unset; a bad interpreter logs one off line and the runner goes on without', () => {
  const lines: string[] = [];
  assert.equal(runnerBytecode(undefined, join(work, 'root5'), (l) => lines.push(l)), undefined);
  assert.equal(lines.length, 0);
  assert.equal(runnerBytecode(join(work, 'nope'), join(work, 'root5'), (l) => lines.push(l)), undefined);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^python bytecode: off \(.*nope: no such executable\)$/);
});
