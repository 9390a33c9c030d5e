// The bubblewrap command line and the environment: namespaces and identity, the read-only system,
// the bundle, scratch, caches, devices and extra binds at their fixed paths inside.

import fs from 'node:fs';
import path from 'node:path';
import { BRIDGE_PATHS, BRIDGE_SCRIPT } from './bridge.ts';
import { fakeEtc, ETC_FILES } from './etc.ts';
import { sandboxIdentity, type HostIdentity } from './identity.ts';
import { cacheEnv, nodeBinDir, SANDBOX_GID, SANDBOX_PATHS, SANDBOX_UID } from './paths.ts';
import type { SandboxSpec } from './types.ts';

/**
 * The submission's own namespaces and identity: every namespace bubblewrap has (user, ipc, pid,
 * net with loopback only, uts, cgroup), no nested user namespaces (`unshare -r` fails inside), no
 * capabilities, uid/gid 1000 inside.
 */
export function namespaceArgs(): string[] {
  return [
    '--unshare-all',
    '--unshare-user', // explicit: --unshare-all only tries it, and --disable-userns needs it
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--cap-drop', 'ALL',
    '--uid', String(SANDBOX_UID),
    '--gid', String(SANDBOX_GID),
    '--hostname', 'agora-sandbox',
  ];
}

/** The minimal read-only system: /usr and the top-level links or directories beside it. */
export function systemArgs(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
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
  return args;
}

/** A fresh /proc for the sandbox's pid namespace, with the host-global knobs under /proc/sys read-only. */
const PROC_ARGS = ['--proc', '/proc', '--ro-bind', '/proc/sys', '/proc/sys'];

const SETPRIV = '/usr/bin/setpriv';
/** Where a bwrap that is not under /usr appears, for the inner stage of a root runner's sandbox. */
const INNER_BWRAP = '/agora/bwrap';

/**
 * The full argv (bwrap first) that runs `command` in the sandbox with `mounts` (mountArgs) and cwd
 * `chdir`. A runner that is not root: one bubblewrap, the submission's uid mapped to the runner's.
 * A root runner (`identity` set, sandboxIdentity()): two stages, so that the submission is never
 * host root. The outer bubblewrap, still root, builds the file system (it can read every source,
 * a checkout under /root included); setpriv then drops to the unprivileged host uid for good (no
 * capabilities, no groups, no_new_privs); the inner bubblewrap, unprivileged, adds the
 * namespaces, the submission's /proc and the ban on nested user namespaces over that same tree.
 */
export function launchArgv(bwrap: string, mounts: string[], chdir: string, command: string[], identity: HostIdentity | null): string[] {
  if (identity === null) {
    return [bwrap, ...namespaceArgs(), ...systemArgs(), ...PROC_ARGS, '--dev', '/dev', ...mounts, '--chdir', chdir, '--', ...command];
  }
  const innerBwrap = bwrap.startsWith('/usr/') ? bwrap : INNER_BWRAP;
  return [
    bwrap,
    '--die-with-parent',
    ...systemArgs(),
    // The host's /proc, under the inner stage's own: the kernel lets an unprivileged namespace
    // mount a proc only where a fully visible one is already mounted.
    '--bind', '/proc', '/proc',
    '--dev', '/dev',
    ...mounts,
    ...(innerBwrap === bwrap ? [] : ['--ro-bind', bwrap, INNER_BWRAP]),
    '--',
    SETPRIV, `--reuid=${identity.uid}`, `--regid=${identity.gid}`, '--clear-groups', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs', '--',
    innerBwrap, ...namespaceArgs(), '--dev-bind', '/', '/', ...PROC_ARGS, '--chdir', chdir, '--', ...command,
  ];
}

/** Host paths that the launch needs beyond bwrap itself (checked by the probe). */
export function launchRequires(identity: HostIdentity | null): string[] {
  return identity === null ? [] : [SETPRIV];
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

/** Default scratch size when the spec names none: the memory limit (tmpfs pages count as memory in the run's cgroup anyway). */
export function scratchBytes(spec: SandboxSpec): number {
  return Math.floor((spec.scratchMb ?? spec.limits.memoryMb) * 1024 * 1024);
}

/** Everything the spec mounts, after the system, /proc and /dev. */
function mountArgs(spec: SandboxSpec, bridgeSockDir: string | undefined, identity: HostIdentity | null): string[] {
  const args = ['--tmpfs', '/dev/shm'];
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
  args.push('--ro-bind', path.resolve(spec.bundleDir), SANDBOX_PATHS.bundle);
  // Scratch is a tmpfs of its own, never the host's disk: bubblewrap mounts it nosuid and nodev,
  // a write past its size fails with ENOSPC, and it vanishes with the sandbox (a set-uid file
  // written there never exists on the host). Under a root runner the outer stage creates it as
  // root, so it is opened to the unprivileged submission (sticky, like /tmp).
  args.push('--size', String(scratchBytes(spec)), ...(identity ? ['--perms', '1777'] : []), '--tmpfs', SANDBOX_PATHS.scratch);
  if (spec.cacheDir !== undefined) args.push('--bind', path.resolve(spec.cacheDir), SANDBOX_PATHS.cache);
  if (spec.pythonBytecodeDir !== undefined) args.push('--ro-bind', path.resolve(spec.pythonBytecodeDir), SANDBOX_PATHS.pycache);
  // /tmp -> /scratch (always one or the other: the inner stage of a root runner's sandbox needs a
  // /tmp to build its root in), unless a bind above already lives under /tmp (then /tmp
  // is a directory holding it, and TMPDIR still points at /scratch). Node, the bundle, scratch and
  // cache directories do not count: they appear at fixed paths (/agora/node, /submission, /scratch,
  // /cache, /pycache), never under /tmp.
  const bound = [...expandDevices(spec.devices ?? []), ...(spec.readOnlyBinds ?? []).map((p) => path.resolve(p))];
  if (!bound.some((p) => p === '/tmp' || p.startsWith('/tmp/'))) args.push('--symlink', SANDBOX_PATHS.scratch, '/tmp');
  return args;
}

/**
 * `--perms 0755 --dir D` for every directory above the mount destinations that bubblewrap would
 * otherwise create itself: the outer stage of a root runner's sandbox runs as root and creates them
 * 0700, closed to the unprivileged submission. Directories of the read-only system are left alone.
 */
function openAncestors(mounts: string[]): string[] {
  const dests = new Set<string>();
  for (let i = 0; i < mounts.length; i++) {
    const op = mounts[i]!;
    if (op === '--ro-bind' || op === '--ro-bind-try' || op === '--bind' || op === '--dev-bind' || op === '--symlink') dests.add(mounts[i + 2]!);
    else if (op === '--tmpfs' || op === '--dir') dests.add(mounts[i + 1]!);
  }
  const dirs = new Set<string>();
  for (const d of dests) {
    for (let p = path.posix.dirname(d); p !== '/'; p = path.posix.dirname(p)) {
      if (['/usr', '/dev', '/proc'].some((top) => p === top || p.startsWith(top + '/')) || dests.has(p)) continue;
      dirs.add(p);
    }
  }
  return [...dirs].sort().flatMap((d) => ['--perms', '0755', '--dir', d]);
}

/** The full argv (bwrap first) that runs spec.command in the sandbox. */
export function sandboxArgv(bwrap: string, spec: SandboxSpec, bridgeSockDir?: string, identity: HostIdentity | null = sandboxIdentity()): string[] {
  const mounts = mountArgs(spec, bridgeSockDir, identity);
  return launchArgv(bwrap, identity ? [...openAncestors(mounts), ...mounts] : mounts, SANDBOX_PATHS.bundle, spec.command, identity);
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

