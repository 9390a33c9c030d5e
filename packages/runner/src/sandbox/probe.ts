// Probing: is bubblewrap installed, and can it build a sandbox on this host? The trial runs the
// same namespace and identity arguments that every real run uses (argv.ts baseArgs), so a
// broken flag shows up here, and the test suites refuse to skip over it (testing-gate.ts).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { baseArgs } from './argv.ts';
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
    const t = spawnSync(
      bwrap,
      [...baseArgs(), '--', '/bin/sh', '-c', 'exit 0'],
      { encoding: 'utf8', timeout: 10_000, env: { PATH: '/usr/bin:/bin' } },
    );
    if (t.error || t.status !== 0) {
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
