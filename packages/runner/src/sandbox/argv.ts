// The bubblewrap command line and the environment: namespaces and identity, the read-only system,
// the bundle, scratch, caches, devices and extra binds at their fixed paths inside.

import fs from 'node:fs';
import path from 'node:path';
import { BRIDGE_PATHS, BRIDGE_SCRIPT } from './bridge.ts';
import { fakeEtc, ETC_FILES } from './etc.ts';
import { cacheEnv, nodeBinDir, SANDBOX_GID, SANDBOX_PATHS, SANDBOX_UID } from './paths.ts';
import type { SandboxSpec } from './types.ts';

/** Namespaces, identity and the minimal read-only system. */
export function baseArgs(): string[] {
  const args = [
    '--unshare-all', // user, ipc, pid, net (loopback only), uts, cgroup
    '--die-with-parent',
    '--new-session',
    '--cap-drop', 'ALL',
    '--uid', String(SANDBOX_UID),
    '--gid', String(SANDBOX_GID),
    '--hostname', 'agora-sandbox',
    '--ro-bind', '/usr', '/usr',
  ];
  for (const top of ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']) {
    const p = `/${top}`;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', fs.readlinkSync(p), p);
    else if (st.isDirectory()) args.push('--ro-bind', p, p);
  }
  args.push('--proc', '/proc', '--dev', '/dev');
  return args;
}



export function expandDevices(devices: string[]): string[] {
  const out: string[] = [];
  for (const d of devices) {
    const base = path.basename(d);
    if (!/[*?]/.test(base)) {
      if (!fs.existsSync(d)) throw new Error(`sandbox: device ${d} does not exist on this host`);
      out.push(d);
      continue;
    }
    const dir = path.dirname(d);
    const re = new RegExp(
      '^' + base.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$',
    );
    let names: string[] = [];
    try {
      names = fs.readdirSync(dir);
    } catch {}
    for (const n of names.sort()) if (re.test(n)) out.push(path.join(dir, n));
  }
  return out;
}

function sandboxPath(): string {
  return [SANDBOX_PATHS.node, '/usr/local/bin', '/usr/bin', '/bin'].join(':');
}

/** Full bwrap argv (without the bwrap binary itself), ending with `--` and the command. */
export function bwrapArgs(spec: SandboxSpec, bridgeSockDir?: string): string[] {
  const args = baseArgs();
  args.push('--tmpfs', '/dev/shm');
  for (const dev of expandDevices(spec.devices ?? [])) args.push('--dev-bind', dev, dev);
  for (const name of ETC_FILES) args.push('--ro-bind-try', `/etc/${name}`, `/etc/${name}`);
  const etc = fakeEtc();
  for (const name of ['passwd', 'group', 'hosts', 'hostname']) {
    args.push('--ro-bind', path.join(etc, name), `/etc/${name}`);
  }
  // At a fixed path, not its own: a checkout under /root or /home would otherwise show the
  // directories above it (and their names) inside.
  args.push('--ro-bind', nodeBinDir(), SANDBOX_PATHS.node);
  for (const p of spec.readOnlyBinds ?? []) {
    const abs = path.resolve(p);
    if (!fs.existsSync(abs)) throw new Error(`sandbox: read-only bind ${abs} does not exist`);
    args.push('--ro-bind', abs, abs);
  }
  if (bridgeSockDir) {
    // Read-only: the bridge only connects to the host's sockets there (connect()
    // works on a read-only mount); the submission cannot replace them.
    args.push('--ro-bind', BRIDGE_SCRIPT, BRIDGE_PATHS.script, '--ro-bind', bridgeSockDir, BRIDGE_PATHS.sockets);
  }
  args.push(
    '--ro-bind', path.resolve(spec.bundleDir), SANDBOX_PATHS.bundle,
    '--bind', path.resolve(spec.scratchDir), SANDBOX_PATHS.scratch,
  );
  if (spec.cacheDir !== undefined) args.push('--bind', path.resolve(spec.cacheDir), SANDBOX_PATHS.cache);
  if (spec.pythonBytecodeDir !== undefined) args.push('--ro-bind', path.resolve(spec.pythonBytecodeDir), SANDBOX_PATHS.pycache);
  // /tmp -> /scratch, unless a bind above already lives under /tmp (then /tmp
  // is a directory holding it, and TMPDIR still points at /scratch). Node, the bundle, scratch and
  // cache directories do not count: they appear at fixed paths (/agora/node, /submission, /scratch,
  // /cache, /pycache), never under /tmp.
  const bound = [...expandDevices(spec.devices ?? []), ...(spec.readOnlyBinds ?? []).map((p) => path.resolve(p))];
  if (!bound.some((p) => p === '/tmp' || p.startsWith('/tmp/'))) args.push('--symlink', SANDBOX_PATHS.scratch, '/tmp');
  args.push('--chdir', SANDBOX_PATHS.bundle, '--', ...spec.command);
  return args;
}

export function sandboxEnv(spec: SandboxSpec, sandboxed: boolean): Record<string, string> {
  const scratch = sandboxed ? SANDBOX_PATHS.scratch : path.resolve(spec.scratchDir);
  const pathVar = sandboxed ? sandboxPath() : `${nodeBinDir()}:${process.env.PATH ?? '/usr/bin:/bin'}`;
  return {
    PATH: pathVar,
    HOME: scratch,
    TMPDIR: scratch,
    USER: 'agora',
    LOGNAME: 'agora',
    LANG: 'C.UTF-8',
    AGORA_SUBMISSION_DIR: sandboxed ? SANDBOX_PATHS.bundle : path.resolve(spec.bundleDir),
    AGORA_SCRATCH_DIR: scratch,
    ...(spec.cacheDir !== undefined ? cacheEnv(sandboxed ? SANDBOX_PATHS.cache : path.resolve(spec.cacheDir)) : {}),
    ...(spec.pythonBytecodeDir !== undefined ? { PYTHONPYCACHEPREFIX: sandboxed ? SANDBOX_PATHS.pycache : path.resolve(spec.pythonBytecodeDir) } : {}),
    ...spec.env,
  };
}

