// The submission sandbox: runs an untrusted command under bubblewrap with no
// network, a read-only view of its bundle, a private scratch directory and
// wall-clock, CPU-time, memory and process-count limits, and kills the whole
// process tree at the end (this file: starting and supervising a run). See
// README.md here and docs/decisions/0020-sandbox.md.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sandboxArgv, sandboxEnv } from './argv.ts';
import {
  assertPortsFree,
  BRIDGE_MEMORY_MB,
  BRIDGE_NODE_FLAGS,
  BRIDGE_PATHS,
  BRIDGE_TASKS,
  startHostBridge,
  validatePorts,
  type HostBridge,
} from './bridge.ts';
import { createCgroup, type Cgroup } from './cgroup.ts';
import { assertReadable, disarmTree, grantTree, sandboxIdentity, type HostIdentity } from './identity.ts';
import { sandboxNode } from './paths.ts';
import { probeSandboxSync } from './probe.ts';
import { killPids, processTree, readProc, treeUsage } from './proctree.ts';
import {
  SandboxUnavailableError,
  type KillCause,
  type SandboxedProcess,
  type SandboxLimits,
  type SandboxOutcome,
  type SandboxSpec,
  type SpawnSandboxedOptions,
} from './types.ts';

const PRLIMIT = '/usr/bin/prlimit';
/**
 * The supervisor processes that live in the run's cgroup beside the submission: bubblewrap's two
 * (its monitor and the pid namespace's init), and under a root runner the outer stage's two more.
 */
const supervisorTasks = (identity: HostIdentity | null) => (identity === null ? 2 : 4);

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
  return ['/bin/sh', '-c', script, 'agora-bridge', sandboxNode(), ports.join(',')];
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
  const identity = sandboxed ? sandboxIdentity() : null;
  const extraTasks = sandboxed ? supervisorTasks(identity) + bridgeTasks : 0;
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
    if (identity !== null) {
      for (const p of [...(spec.readOnlyBinds ?? []), ...(spec.pythonBytecodeDir !== undefined ? [spec.pythonBytecodeDir] : [])]) assertReadable(p, identity);
      grantTree(spec.bundleDir, identity);
      if (spec.cacheDir !== undefined) grantTree(spec.cacheDir, identity);
    }
    if (ports.length > 0) {
      bridge = startHostBridge(ports, identity);
      command = [...bridgeWrapper(ports), ...command];
    }
    if (nprocRlimit !== null) command = [PRLIMIT, `--nproc=${nprocRlimit}:${nprocRlimit}`, '--', ...command];
    inner = sandboxed ? sandboxArgv(probe.bwrapPath!, { ...spec, command }, bridge?.sockDir, identity) : spec.command;
  } catch (e) {
    void cg?.destroy();
    void bridge?.close();
    throw e;
  }
  const shArgs = ['-c', prologue(limits.cpuSeconds), 'sh', ...(cg?.procsFiles ?? []), '--', ...inner];
  const started = performance.now(); // monotonic: wallMs and atMs are durations, unmoved by wall-clock jumps
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
    killed = { by, reason: limitReason(by, limits, detail), atMs: Math.round(performance.now() - started) };
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
    const wallMs = Math.round(performance.now() - started);
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
    if (sandboxed && spec.cacheDir !== undefined) disarmTree(spec.cacheDir);

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
