// The shared Python bytecode tree (docs/decisions/0071, "Shared Python bytecode"): the runner itself
// compiles the host interpreter's site-packages to bytecode once, into a tree that every job's sandbox
// sees read-only at /pycache (PYTHONPYCACHEPREFIX=/pycache). GPU hosts bring interpreters with no .pyc
// files, bound read-only, so without it every job compiles torch and transformers again.
//
//   <root>/python-bytecode/<16 hex>            the tree (16 hex of sha256 over the interpreter's realpath,
//                                             its sys.version and its site-packages dirs)
//   <root>/python-bytecode/<16 hex>/.complete  the stamp: a fingerprint of the dirs when it was compiled
//   <root>/python-bytecode/<16 hex>.lock/      held while compileall runs (cache.ts's lockEntry)
//
// Only the runner writes a tree; a sandbox gets it read-only.

import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { lockEntry } from './cache.ts';
import { findExecutable } from './sandbox/index.ts';

/** compileall's own limit; past it the runner goes on without the tree. */
export const COMPILE_TIMEOUT_MS = 15 * 60_000;
const QUERY_TIMEOUT_MS = 30_000;
const STAMP = '.complete';

export interface PrepareBytecodeOptions {
  /** A command name looked up on PATH, or a path (a venv's bin/python works: it is run as given). */
  python: string;
  /** The directory holding `python-bytecode/` (the runner's cache root). */
  root: string;
  /** The directories to compile, instead of the interpreter's site-packages (tests). */
  dirs?: string[];
  log?: (line: string) => void;
}

export type PreparedBytecode = { dir: string; seconds: number; skipped: boolean; python: string } | { problem: string };

const QUERY = [
  'import json, os, site, sys, sysconfig',
  'dirs = []',
  'try:',
  '    dirs += site.getsitepackages()',
  'except Exception:',
  '    pass',
  'paths = sysconfig.get_paths()',
  "dirs += [paths.get('purelib'), paths.get('platlib')]",
  'print(json.dumps({"version": sys.version, "dirs": [d for d in dirs if d]}))',
].join('\n');

/** `sys.version` and the existing, deduplicated site-packages dirs of the interpreter at `exe`. */
function askPython(exe: string): { version: string; dirs: string[] } {
  const out = execFileSync(exe, ['-c', QUERY], { encoding: 'utf8', timeout: QUERY_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  const j = JSON.parse(out.trim().split('\n').pop()!) as { version: string; dirs: string[] };
  return { version: String(j.version), dirs: j.dirs };
}

/** Existing directories, absolute, each once, in the order given. */
function existingDirs(dirs: string[]): string[] {
  const seen = new Set<string>();
  for (const d of dirs) {
    const abs = resolve(d);
    if (!seen.has(abs) && statSync(abs, { throwIfNoEntry: false })?.isDirectory()) seen.add(abs);
  }
  return [...seen];
}

/** What the stamp records: each dir's path, mtime and number of top-level entries (installs and removals change them). */
export function dirsFingerprint(dirs: string[]): string {
  return dirs
    .map((d) => {
      const st = statSync(d, { throwIfNoEntry: false });
      let n = -1;
      try {
        n = readdirSync(d).length;
      } catch {}
      return `${d}\t${st ? st.mtimeMs : 'missing'}\t${n}`;
    })
    .join('\n') + '\n';
}

/**
 * Makes sure the bytecode tree for `python` is complete: compiles its site-packages (or `dirs`) with
 * `python -m compileall` and PYTHONPYCACHEPREFIX=<tree> unless the tree's stamp matches the dirs as
 * they are now. Never throws: a problem means the jobs run without a tree.
 */
export function prepareBytecode(o: PrepareBytecodeOptions): PreparedBytecode {
  const log = o.log ?? (() => {});
  try {
    const exe = findExecutable(o.python);
    if (!exe) return { problem: `${o.python}: no such executable${o.python.includes('/') ? '' : ' on PATH'}` };
    const real = realpathSync(exe);
    let asked: { version: string; dirs: string[] };
    try {
      // Run as given, not by its realpath: a venv's python finds its pyvenv.cfg (and site-packages) through it.
      asked = askPython(exe);
    } catch (e) {
      return { problem: `could not ask ${exe} for its version and site-packages: ${((e as Error).message || '').split('\n')[0]}` };
    }
    const dirs = existingDirs(o.dirs ?? asked.dirs);
    if (!dirs.length) return { problem: `${exe} has no site-packages directory to compile` };
    const id = createHash('sha256')
      .update(`agora-python-bytecode-v1\n${real}\n${asked.version}\n${[...dirs].sort().join('\n')}\n`)
      .digest('hex')
      .slice(0, 16);
    const base = join(resolve(o.root), 'python-bytecode');
    const tree = join(base, id);
    const stamp = join(tree, STAMP);
    const fingerprint = dirsFingerprint(dirs);
    const current = () => {
      try {
        return readFileSync(stamp, 'utf8') === fingerprint;
      } catch {
        return false;
      }
    };
    if (current()) return { dir: tree, seconds: 0, skipped: true, python: real };
    mkdirSync(base, { recursive: true, mode: 0o700 });
    const lock = lockEntry(tree, COMPILE_TIMEOUT_MS + 60_000, `compileall of ${real}`);
    if (!lock) return { problem: `${tree}.lock is held: another runner is compiling this tree` };
    try {
      if (current()) return { dir: tree, seconds: 0, skipped: true, python: real }; // the other runner just finished
      // Readable by others: a root runner's submission is an unprivileged uid (sandbox/identity.ts);
      // `base` (0700) still keeps the tree from other host users.
      mkdirSync(tree, { recursive: true, mode: 0o755 });
      chmodSync(tree, 0o755);
      log(`python bytecode: compiling ${dirs.join(', ')} with ${real} into ${tree} (once; up to ${COMPILE_TIMEOUT_MS / 60_000} min)`);
      const started = performance.now();
      // No -I or -E: they would make the interpreter ignore PYTHONPYCACHEPREFIX.
      const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPYCACHEPREFIX: tree };
      delete env.PYTHONDONTWRITEBYTECODE;
      const r = spawnSync(exe, ['-m', 'compileall', '-q', '-j', '0', ...dirs], {
        env,
        encoding: 'utf8',
        timeout: COMPILE_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const seconds = (performance.now() - started) / 1000;
      if (r.error || (r.status !== 0 && r.status !== 1)) {
        const why = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
        return { problem: `compileall failed after ${seconds.toFixed(1)} s (${why}): ${(r.stderr || '').trim().split('\n').slice(-1)[0] ?? ''}`.trim() };
      }
      if (r.status === 1) {
        // Big site-packages hold files that do not compile (test fixtures with syntax errors): not fatal.
        const failed = (r.stdout.match(/^\*\*\* Error compiling/gm) ?? []).length;
        log(`python bytecode: ${failed || 'some'} file(s) did not compile (kept the rest)`);
      }
      writeFileSync(stamp, fingerprint, { mode: 0o600 });
      return { dir: tree, seconds, skipped: false, python: real };
    } finally {
      lock.release();
    }
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

/** The runner's console line about the tree: `python bytecode: TREE (compiled in N s | up to date) for PYTHON` or `off (why)`. */
export function bytecodeLine(p: PreparedBytecode | { off: string }): string {
  if ('off' in p) return `python bytecode: off (${p.off})`;
  if ('problem' in p) return `python bytecode: off (${p.problem})`;
  return `python bytecode: ${p.dir} (${p.skipped ? 'up to date' : `compiled in ${p.seconds.toFixed(1)} s`}) for ${p.python}`;
}

/** Prepares the tree for a runner and logs its one line; the tree's path, or undefined (runs without). */
export function runnerBytecode(python: string | undefined, root: string, log: (line: string) => void): string | undefined {
  if (python === undefined) return undefined;
  const p = prepareBytecode({ python, root, log });
  log(bytecodeLine(p));
  return 'dir' in p ? p.dir : undefined;
}
