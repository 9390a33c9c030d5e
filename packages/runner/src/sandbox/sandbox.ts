// The submission sandbox: runs an untrusted command under bubblewrap with no
// network, a read-only view of its bundle, a private scratch directory and
// wall-clock, CPU-time, memory and process-count limits, and kills the whole
// process tree at the end. See README.md here and docs/decisions/0020-sandbox.md.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  assertPortsFree,
  BRIDGE_MEMORY_MB,
  BRIDGE_NODE_FLAGS,
  BRIDGE_PATHS,
  BRIDGE_SCRIPT,
  BRIDGE_TASKS,
  startHostBridge,
  validatePorts,
  type HostBridge,
} from './bridge.ts';
import { createCgroup, type Cgroup } from './cgroup.ts';
import { killPids, processTree, readProc, treeUsage } from './proctree.ts';

export interface SandboxLimits {
  /** Wall-clock seconds before the whole tree is killed. */
  wallSeconds: number;
  /** CPU seconds (user + system, summed over the whole tree). */
  cpuSeconds: number;
  /** Memory of the whole tree in MiB (cgroup charge, or summed RSS when polling). */
  memoryMb: number;
  /** Tasks (processes and threads) the submission may have at once. */
  processes: number;
}

export interface SandboxSpec {
  /** Host directory with the submission; appears read-only at /submission (the cwd). */
  bundleDir: string;
  /** Host directory for scratch; appears read-write at /scratch (HOME, TMPDIR, /tmp). */
  scratchDir: string;
  /** argv; argv[0] is looked up on the sandbox PATH (Node's bin dir, /usr/local/bin, /usr/bin, /bin). */
  command: string[];
  /** Extra environment; the host environment is never inherited. */
  env?: Record<string, string>;
  limits: SandboxLimits;
  /** Host paths bound read-only at the same path inside (a venv, a dataset). */
  readOnlyBinds?: string[];
  /** Device nodes passed through, e.g. ['/dev/nvidia*'] for GPU jobs (globs allowed in the last component). */
  devices?: string[];
  /**
   * Loopback ports bridged from the host into the sandbox: for each P, the host's
   * 127.0.0.1:P reaches a server the submission runs on 127.0.0.1:P inside its own
   * network namespace (the submission still has no network). Fails before starting
   * the submission if P is taken on the host. Ignored when running unsandboxed
   * (the submission then binds the host port itself). See bridge.ts.
   */
  forwardPorts?: number[];
  /**
   * Host directory kept between runs by the caller (the runner's per-submission compile cache);
   * appears read-write at /cache, and AGORA_CACHE_DIR, XDG_CACHE_HOME, TORCHINDUCTOR_CACHE_DIR,
   * TRITON_CACHE_DIR, CUDA_CACHE_PATH and PYTHONPYCACHEPREFIX point into it (`env` may override them). Unsandboxed,
   * the same variables point at the host directory. See docs/decisions/0071.
   */
  cacheDir?: string;
  /**
   * The runner's shared Python bytecode tree (compiled by the runner itself from the host's read-only
   * site-packages, never written by a submission): bound read-only at /pycache, with
   * PYTHONPYCACHEPREFIX=/pycache, which wins over the cacheDir's /cache/python (`env` may still
   * override it). Unsandboxed it names the host directory. See docs/decisions/0071.
   */
  pythonBytecodeDir?: string;
}

export type KillCause = 'wall_time' | 'cpu_time' | 'memory' | 'processes' | 'requested';

export interface SandboxOutcome {
  /** Exit status. Under bubblewrap a command killed by signal N exits 128+N (and `signal` names N). */
  exitCode: number | null;
  signal: string | null;
  killed: null | { by: KillCause; reason: string; atMs: number };
  wallMs: number;
  cpuMs?: number;
  peakRssMb?: number;
  /** Most tasks (processes + threads) seen at once by the limit poller. */
  peakProcesses?: number;
  sandbox: 'bubblewrap' | 'none';
  /** How the limits were enforced on this host. */
  enforcement: { memory: 'cgroup' | 'poll'; processes: 'cgroup' | 'rlimit' | 'poll'; cpu: 'cgroup' | 'poll' };
  /** Plain-language remarks (e.g. a fork that failed at the process limit). */
  notes: string[];
}

export interface SandboxProbe {
  available: boolean;
  kind: 'bubblewrap' | 'none';
  reason?: string;
  version?: string;
  bwrapPath?: string;
}

export interface SpawnSandboxedOptions {
  /** Run without isolation when bubblewrap is unusable (loudly logged). */
  allowUnsandboxed?: boolean;
  /** bwrap binary (default: $AGORA_SANDBOX_BWRAP, else `bwrap` on PATH). */
  bwrapPath?: string;
  /** Where the loud warnings go (default: stderr). */
  log?: (line: string) => void;
  /** Limit-polling interval in ms (default 100). */
  pollMs?: number;
}

export interface SandboxedProcess {
  child: ChildProcessWithoutNullStreams;
  done: Promise<SandboxOutcome>;
  /** Kill the whole tree now; the outcome says killed.by 'requested' with this reason. */
  kill(reason: string): void;
}

export class SandboxUnavailableError extends Error {
  readonly code = 'SANDBOX_UNAVAILABLE';
  readonly reason: string;
  constructor(reason: string) {
    super(
      `refusing to run an untrusted submission without a sandbox: ${reason}. ` +
        'Install bubblewrap (apt-get install bubblewrap) or start the runner with the explicit unsandboxed opt-out.',
    );
    this.name = 'SandboxUnavailableError';
    this.reason = reason;
  }
}

/** Fixed paths inside the sandbox. */
export const SANDBOX_PATHS = { bundle: '/submission', scratch: '/scratch', cache: '/cache', pycache: '/pycache' } as const;

/** The variables a cacheDir sets, for a cache at `dir` (/cache inside the sandbox). */
export function cacheEnv(dir: string): Record<string, string> {
  return {
    AGORA_CACHE_DIR: dir,
    XDG_CACHE_HOME: dir,
    TORCHINDUCTOR_CACHE_DIR: `${dir}/torchinductor`,
    TRITON_CACHE_DIR: `${dir}/triton`,
    CUDA_CACHE_PATH: `${dir}/nv`,
    // Python's bytecode: the interpreters GPU hosts bring are read-only in the sandbox and often ship no
    // .pyc files, so without this every job compiles torch and transformers again (measured on the H100:
    // imports 15-17 s a job, 7.7 s once this cache is warm)
    PYTHONPYCACHEPREFIX: `${dir}/python`,
  };
}

const SANDBOX_UID = 1000;
const SANDBOX_GID = 1000;
const PRLIMIT = '/usr/bin/prlimit';
/** The two bubblewrap supervisor processes that live in the run's cgroup. */
const SUPERVISOR_TASKS = 2;

// ---------------------------------------------------------------------------
// probing

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

// ---------------------------------------------------------------------------
// bubblewrap arguments

/** Namespaces, identity and the minimal read-only system. */
function baseArgs(): string[] {
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

/** Host /etc entries a program may need; nothing secret (no shadow, ssl/private, ...). */
const ETC_FILES = [
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'alternatives',
  'localtime',
  'nsswitch.conf',
  'os-release',
];

let fakeEtcDir: string | null = null;

/**
 * passwd/group/hosts naming the sandbox user. Kept in one directory per uid
 * and content (not one per process: exec.ts runs once per submission), which
 * is only trusted if we own it and nobody else can write to it.
 */
function fakeEtc(): string {
  if (fakeEtcDir && fs.existsSync(fakeEtcDir)) return fakeEtcDir;
  const files: Record<string, string> = {
    passwd:
      'root:x:0:0:root:/root:/usr/sbin/nologin\n' +
      `agora:x:${SANDBOX_UID}:${SANDBOX_GID}:agora submission:${SANDBOX_PATHS.scratch}:/bin/sh\n` +
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
    group: `root:x:0:\nagora:x:${SANDBOX_GID}:\nnogroup:x:65534:\n`,
    hosts: '127.0.0.1\tlocalhost agora-sandbox\n::1\tlocalhost\n',
    hostname: 'agora-sandbox\n',
  };
  const hash = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 12);
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(os.tmpdir(), `agora-sandbox-etc-${uid}-${hash}`);
  const trusted = (d: string) => {
    const st = fs.lstatSync(d, { throwIfNoEntry: false });
    if (!st || !st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) return false;
    return Object.entries(files).every(([n, t]) => {
      try {
        const f = fs.lstatSync(path.join(d, n));
        return f.isFile() && f.uid === uid && (f.mode & 0o022) === 0 && fs.readFileSync(path.join(d, n), 'utf8') === t;
      } catch {
        return false;
      }
    });
  };
  if (trusted(dir)) return (fakeEtcDir = dir);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-sandbox-etc-'));
  fs.chmodSync(tmp, 0o755);
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(tmp, name), text, { mode: 0o644 });
  }
  try {
    fs.renameSync(tmp, dir);
  } catch {
    // Lost a race with another runner (fine if theirs is trusted) or the name is
    // squatted by someone else: then use our private copy.
    if (trusted(dir)) {
      fs.rmSync(tmp, { recursive: true, force: true });
      return (fakeEtcDir = dir);
    }
    return (fakeEtcDir = tmp);
  }
  return (fakeEtcDir = dir);
}

/** Directory of the Node binary running us (real path), so `node` works inside. */
export function nodeBinDir(): string {
  return path.dirname(fs.realpathSync(process.execPath));
}

function expandDevices(devices: string[]): string[] {
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
  const nodeDir = nodeBinDir();
  return [nodeDir, '/usr/local/bin', '/usr/bin', '/bin'].join(':');
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
  const nodeDir = nodeBinDir();
  if (!nodeDir.startsWith('/usr/')) args.push('--ro-bind', nodeDir, nodeDir);
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
  // is a directory holding it, and TMPDIR still points at /scratch). Node's own directory counts:
  // a checkout under /tmp brings its Node 24 from there. The bundle, scratch and cache
  // directories do not: they appear at fixed paths (/submission, /scratch, /cache, /pycache), never under /tmp.
  const bound = [nodeDir, ...expandDevices(spec.devices ?? []), ...(spec.readOnlyBinds ?? []).map((p) => path.resolve(p))];
  if (!bound.some((p) => p === '/tmp' || p.startsWith('/tmp/'))) args.push('--symlink', SANDBOX_PATHS.scratch, '/tmp');
  args.push('--chdir', SANDBOX_PATHS.bundle, '--', ...spec.command);
  return args;
}

function sandboxEnv(spec: SandboxSpec, sandboxed: boolean): Record<string, string> {
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

// ---------------------------------------------------------------------------
// running

/**
 * Shell prologue: no core dumps, a per-process RLIMIT_CPU backstop (the real
 * CPU limit is the tree-wide accounting below), join the run's cgroups, then
 * exec the sandbox. Usage: sh -c PROLOGUE sh CGROUP_PROCS_FILE... -- CMD...
 */
function prologue(cpuSeconds: number): string {
  const soft = Math.ceil(cpuSeconds) + 1;
  const hard = soft + 1;
  return [
    'ulimit -c 0 2>/dev/null',
    `ulimit -S -t ${soft} 2>/dev/null && ulimit -H -t ${hard} 2>/dev/null`,
    'while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do',
    '  echo $$ > "$1" || { echo "agora-sandbox: cannot join cgroup $1" >&2; exit 125; }',
    '  shift',
    'done',
    'shift',
    'exec "$@"',
  ].join('\n');
}

/**
 * Command prefix that starts the port bridge in the background, then execs the
 * submission's command (same pid: exit code, signals and stdio are the command's
 * own). The bridge gets no stdio and none of the spec's NODE_* variables; it is
 * killed with everything else when the command exits (pid namespace teardown).
 */
function bridgeWrapper(ports: number[]): string[] {
  const script = [
    'n=$1; p=$2; shift 2',
    `(unset NODE_OPTIONS NODE_PATH; exec "$n" ${BRIDGE_NODE_FLAGS.join(' ')} ${BRIDGE_PATHS.script} ${BRIDGE_PATHS.sockets} "$p") </dev/null >/dev/null 2>&1 &`,
    'exec "$@"',
  ].join('\n');
  return ['/bin/sh', '-c', script, 'agora-bridge', fs.realpathSync(process.execPath), ports.join(',')];
}

function validateSpec(spec: SandboxSpec): void {
  if (!Array.isArray(spec.command) || spec.command.length === 0) throw new Error('sandbox: empty command');
  for (const dir of [spec.bundleDir, spec.scratchDir, ...(spec.cacheDir !== undefined ? [spec.cacheDir] : []), ...(spec.pythonBytecodeDir !== undefined ? [spec.pythonBytecodeDir] : [])]) {
    if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
      throw new Error(`sandbox: ${dir} is not a directory`);
    }
  }
  const l = spec.limits;
  for (const [k, v] of Object.entries(l)) {
    if (typeof v !== 'number' || !(v > 0)) throw new Error(`sandbox: limit ${k} must be a positive number`);
  }
}

const fmtS = (s: number) => (Number.isInteger(s) ? String(s) : s.toFixed(1));

function limitReason(by: KillCause, limits: SandboxLimits, detail?: string): string {
  switch (by) {
    case 'wall_time':
      return `killed after ${fmtS(limits.wallSeconds)} s wall-clock limit`;
    case 'cpu_time':
      return `killed after using ${fmtS(limits.cpuSeconds)} s of CPU time (CPU-time limit ${fmtS(limits.cpuSeconds)} s, summed over all processes and threads)`;
    case 'memory':
      return `killed for exceeding the ${limits.memoryMb} MB memory limit${detail ? ` (${detail})` : ''}`;
    case 'processes':
      return `killed for exceeding the ${limits.processes}-process limit (threads count as processes; a fork or thread creation failed or the count went over)`;
    case 'requested':
      return `killed on request: ${detail ?? 'no reason given'}`;
  }
}

function signalName(n: number): string | null {
  for (const [name, num] of Object.entries(os.constants.signals)) if (num === n) return name;
  return null;
}

/**
 * Start `spec.command` in the sandbox. Throws SandboxUnavailableError when
 * bubblewrap cannot be used, unless opts.allowUnsandboxed is set, in which
 * case the command runs directly (wall clock, limits by polling, tree kill)
 * after a loud warning.
 */
export function spawnSandboxed(spec: SandboxSpec, opts: SpawnSandboxedOptions = {}): SandboxedProcess {
  validateSpec(spec);
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const probe = probeSandboxSync({ bwrapPath: opts.bwrapPath });
  const sandboxed = probe.available;
  if (!sandboxed) {
    const reason = probe.reason ?? 'no sandbox available';
    if (!opts.allowUnsandboxed) throw new SandboxUnavailableError(reason);
    log(
      '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' +
        `!!! AGORA SANDBOX DISABLED: ${reason}.\n` +
        '!!! Running the submission WITHOUT isolation (network, file system and other\n' +
        '!!! processes are reachable) because the unsandboxed opt-out was given.\n' +
        '!!! Only wall-clock/CPU/memory/process limits by polling and a tree kill apply.\n' +
        '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!',
    );
  }

  const limits = spec.limits;
  // The port bridge runs inside, beside the submission; its (small, fixed) share
  // is added to the limits so forwarding ports does not eat the submission's budget.
  const ports = sandboxed ? validatePorts(spec.forwardPorts ?? []) : (validatePorts(spec.forwardPorts ?? []), []);
  if (ports.length > 0) assertPortsFree(ports);
  const bridgeTasks = ports.length > 0 ? BRIDGE_TASKS : 0;
  const memoryAllowance = ports.length > 0 ? BRIDGE_MEMORY_MB * 1024 * 1024 : 0;
  const extraTasks = sandboxed ? SUPERVISOR_TASKS + bridgeTasks : 0;
  const cg: Cgroup | null = createCgroup({
    memoryBytes: Math.floor(limits.memoryMb * 1024 * 1024) + memoryAllowance,
    pids: Math.floor(limits.processes) + extraTasks,
  });
  // Without a pids cgroup, RLIMIT_NPROC is the kernel-side backstop, but only
  // where the sandbox's user namespace maps to a non-root uid (root is exempt).
  // Set inside the sandbox it counts only that namespace's tasks (kernel >= 5.14
  // ucounts), so concurrent runs do not share it. +1 for bwrap's pid 1.
  const nprocRlimit =
    sandboxed && !cg?.enforces.pids && process.getuid?.() !== 0 && fs.existsSync(PRLIMIT)
      ? Math.floor(limits.processes) + 1 + bridgeTasks
      : null;
  const enforcement: SandboxOutcome['enforcement'] = {
    memory: cg?.enforces.memory ? 'cgroup' : 'poll',
    processes: cg?.enforces.pids ? 'cgroup' : nprocRlimit !== null ? 'rlimit' : 'poll',
    cpu: cg?.enforces.cpuAccounting ? 'cgroup' : 'poll',
  };

  let inner: string[];
  let bridge: HostBridge | null = null;
  try {
    let command = spec.command;
    if (ports.length > 0) {
      bridge = startHostBridge(ports);
      command = [...bridgeWrapper(ports), ...command];
    }
    if (nprocRlimit !== null) command = [PRLIMIT, `--nproc=${nprocRlimit}:${nprocRlimit}`, '--', ...command];
    inner = sandboxed ? [probe.bwrapPath!, ...bwrapArgs({ ...spec, command }, bridge?.sockDir)] : spec.command;
  } catch (e) {
    void cg?.destroy();
    void bridge?.close();
    throw e;
  }
  const shArgs = ['-c', prologue(limits.cpuSeconds), 'sh', ...(cg?.procsFiles ?? []), '--', ...inner];
  const started = Date.now();
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn('/bin/sh', shArgs, {
      cwd: path.resolve(spec.bundleDir),
      env: sandboxEnv(spec, sandboxed),
      stdio: 'pipe',
      detached: true, // own process group: the unsandboxed tree can be killed as a group
    });
  } catch (e) {
    void cg?.destroy();
    void bridge?.close();
    throw e;
  }

  let killed: SandboxOutcome['killed'] = null;
  let exited = false;
  let cpuMs: number | undefined;
  let peakBytes = 0;
  let peakTasks = 0;
  const notes: string[] = [];

  const killTree = () => {
    const pid = child.pid;
    // Parents first: killing bwrap and the namespace's init makes the kernel
    // kill every process of the sandbox's pid namespace.
    if (pid !== undefined) killPids(processTree(pid).map((p) => p.pid));
    cg?.killAll();
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {}
    }
  };

  const stop = (by: KillCause, detail?: string) => {
    if (killed || exited) return;
    killed = { by, reason: limitReason(by, limits, detail), atMs: Date.now() - started };
    killTree();
  };

  const wallTimer = setTimeout(() => stop('wall_time'), limits.wallSeconds * 1000);
  wallTimer.unref?.();

  const poll = () => {
    if (exited || killed || child.pid === undefined) return;
    const s = cg?.stats();
    if (s && cg!.enforces.memory && s.oomKills > 0) return stop('memory', 'the kernel OOM killer fired');
    if (s && cg!.enforces.pids && s.pidsMaxHits > 0) return stop('processes');
    let treeCpu: number | null = null;
    let treeRss = 0;
    let treeTasks = 0;
    const needTree = !s || !cg!.enforces.memory || !cg!.enforces.pids || s.cpuMs === null;
    if (needTree) {
      const members = cg ? cg.pids().map(readProc).filter((p) => p !== null) : processTree(child.pid);
      const u = treeUsage(members);
      treeCpu = u.cpuMs;
      treeRss = u.rssBytes;
      treeTasks = Math.max(0, u.tasks - extraTasks);
    }
    const cpuNow = s?.cpuMs ?? treeCpu;
    if (cpuNow !== null) cpuMs = Math.max(cpuMs ?? 0, cpuNow);
    const tasksNow = s && cg!.enforces.pids && s.tasks !== null ? Math.max(0, s.tasks - extraTasks) : treeTasks;
    peakTasks = Math.max(peakTasks, tasksNow);
    const memNow = cg?.enforces.memory ? (s!.memoryBytes ?? 0) : treeRss;
    peakBytes = Math.max(peakBytes, memNow);
    // Processes first: summed RSS of a fork bomb can pass the memory limit
    // before the bomb is noticed, and the process count is the real cause.
    // Under RLIMIT_NPROC the count cannot pass the limit: forks fail at it instead.
    if (!cg?.enforces.pids && (treeTasks > limits.processes || (nprocRlimit !== null && treeTasks >= limits.processes))) {
      return stop('processes');
    }
    if (cpuNow !== null && cpuNow >= limits.cpuSeconds * 1000) return stop('cpu_time');
    if (!cg?.enforces.memory && treeRss > limits.memoryMb * 1024 * 1024 + memoryAllowance) {
      return stop('memory', `anonymous resident memory of the process tree reached ${Math.round(treeRss / 1048576)} MB`);
    }
  };
  const pollTimer = setInterval(poll, opts.pollMs ?? 100);
  pollTimer.unref?.();
  // Lost a race for a forwarded port after assertPortsFree: stop with a clear reason.
  bridge?.ready.catch((e: Error) => stop('requested', e.message));

  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const exitedP = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A failed spawn (EAGAIN when the host is out of processes, ENOENT) emits
    // 'error' and never 'exit'.
    child.once('error', (err) => {
      notes.push(`the sandbox could not be started: ${err.message}`);
      if (child.pid === undefined || child.exitCode !== null) resolve({ code: null, signal: null });
    });
  });

  const done = (async (): Promise<SandboxOutcome> => {
    const { code, signal } = await exitedP;
    exited = true;
    const wallMs = Date.now() - started;
    clearTimeout(wallTimer);
    clearInterval(pollTimer);
    const s = cg?.stats();
    if (s?.cpuMs != null) cpuMs = s.cpuMs;
    // Whatever is left (background children, a detached fork) dies now.
    killTree();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
    if (cg) {
      const peak = cg.enforces.memory ? cg.peakMemoryBytes() : null;
      if (peak !== null) peakBytes = Math.max(peakBytes, peak);
      await cg.destroy();
    } else {
      for (let i = 0; i < 5; i++) {
        killTree();
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    // The bridge inside died with the sandbox; release the host ports.
    await bridge?.close();

    let exitCode = code;
    let sig: string | null = signal;
    if (sandboxed && code !== null && code > 128 && code < 128 + 65) sig = signalName(code - 128);
    if (!killed) {
      const at = wallMs;
      if (s && cg?.enforces.memory && s.oomKills > 0) {
        killed = { by: 'memory', reason: limitReason('memory', limits, 'the kernel OOM killer fired'), atMs: at };
      } else if (sig === 'SIGXCPU' || (cpuMs !== undefined && cpuMs >= limits.cpuSeconds * 1000 && sig === 'SIGKILL')) {
        killed = { by: 'cpu_time', reason: limitReason('cpu_time', limits), atMs: at };
      }
    }
    if (s && s.pidsMaxHits > 0 && killed?.by !== 'processes') {
      notes.push(`${s.pidsMaxHits} fork/thread creation(s) failed at the ${limits.processes}-process limit`);
    }
    if (code === 125 && cg) notes.push('exit 125 may mean the sandbox could not join its cgroup; see stderr');
    return {
      exitCode,
      signal: sig,
      killed,
      wallMs,
      ...(cpuMs !== undefined ? { cpuMs: Math.round(cpuMs) } : {}),
      ...(peakBytes > 0 ? { peakRssMb: Math.round((peakBytes / 1048576) * 10) / 10 } : {}),
      ...(peakTasks > 0 ? { peakProcesses: peakTasks } : {}),
      sandbox: sandboxed ? 'bubblewrap' : 'none',
      enforcement,
      notes,
    };
  })();

  return {
    child,
    done,
    kill(reason: string) {
      stop('requested', reason);
    },
  };
}
