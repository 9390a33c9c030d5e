// Probing: is bubblewrap installed, and can it build a sandbox on this host? The trial runs the
// same launch that every real run uses (argv.ts launchArgv: namespaces, identity, the two stages of
// a root runner), so a broken flag shows up here, and the test suites refuse to skip over it
// (test-gate.ts).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchArgv, launchRequires } from './argv.ts';
import { sandboxIdentity } from './identity.ts';
import type { SandboxProbe } from './types.ts';

const probeCache = new Map<string, SandboxProbe>();

/** `name` looked up on PATH (or a path, made absolute); null when there is no such executable. */
export function findExecutable(name: string, pathVar: string = process.env.PATH ?? ''): string | null {
  const ok = (p: string) => {
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (name.includes('/')) {
    const p = path.resolve(name);
    return ok(p) ? p : null;
  }
  for (const d of pathVar.split(path.delimiter)) {
    if (!d || !path.isAbsolute(d)) continue;
    const p = path.join(d, name);
    if (ok(p)) return p;
  }
  return null;
}

function findBwrap(explicit?: string): string | null {
  const wanted = explicit ?? process.env.AGORA_SANDBOX_BWRAP;
  if (wanted) return wanted;
  return findExecutable('bwrap', [process.env.PATH ?? '', '/usr/bin', '/bin', '/usr/local/bin'].join(path.delimiter));
}

/** Synchronous probe (cached per bwrap path): is bubblewrap installed and able to build a sandbox here? */
export function probeSandboxSync(opts: { bwrapPath?: string } = {}): SandboxProbe {
  const bwrap = findBwrap(opts.bwrapPath);
  if (!bwrap) {
    return { available: false, kind: 'none', reason: 'bubblewrap (bwrap) is not installed' };
  }
  const cached = probeCache.get(bwrap);
  if (cached) return cached;
  let result: SandboxProbe;
  const v = spawnSync(bwrap, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (v.error || v.status !== 0) {
    result = {
      available: false,
      kind: 'none',
      bwrapPath: bwrap,
      reason: `bubblewrap at ${bwrap} does not run (${v.error?.message ?? `exit ${v.status}`})`,
    };
  } else {
    const version = v.stdout.trim().replace(/^bubblewrap\s+/, '');
    // A real trial: the namespaces we need (user, pid, net, ...) may be refused
    // by seccomp (default Docker profile) or kernel.unprivileged_userns_clone=0.
    const identity = sandboxIdentity();
    const missing = launchRequires(identity).filter((p) => findExecutable(p) === null);
    // /tmp: the inner stage of a root runner's sandbox builds its root there (mountArgs always makes one).
    const argv = launchArgv(bwrap, ['--dir', '/tmp'], '/', ['/bin/sh', '-c', 'exit 0'], identity);
    const t = missing.length > 0 ? null : spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000, env: { PATH: '/usr/bin:/bin' } });
    if (t === null) {
      result = {
        available: false,
        kind: 'none',
        bwrapPath: bwrap,
        version,
        reason: `a root runner drops the submission to uid ${identity!.uid} with ${missing.join(', ')}, which is not installed (util-linux)`,
      };
    } else if (t.error || t.status !== 0) {
      result = {
        available: false,
        kind: 'none',
        bwrapPath: bwrap,
        version,
        reason: `bubblewrap ${version} cannot create a sandbox here: ${(t.stderr || t.error?.message || `exit ${t.status}`).trim()}`,
      };
    } else {
      result = { available: true, kind: 'bubblewrap', bwrapPath: bwrap, version };
    }
  }
  probeCache.set(bwrap, result);
  return result;
}

export async function probeSandbox(opts: { bwrapPath?: string } = {}): Promise<SandboxProbe> {
  return probeSandboxSync(opts);
}
