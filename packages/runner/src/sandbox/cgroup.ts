// Per-run control groups for the sandbox: memory, process-count and CPU
// accounting for a whole process tree, plus a reliable "kill everything".
//
// Supports cgroup v2 (unified, needs a delegated parent with the memory and
// pids controllers enabled) and cgroup v1 (one hierarchy per controller, as on
// hybrid hosts such as the Agora dev VMs). Everything is best effort: when a
// controller is missing or not writable the caller falls back to polling
// /proc (see proctree.ts). Decision record: docs/decisions/0020-sandbox.md.

import fs from 'node:fs';
import path from 'node:path';

export interface CgroupLimits {
  memoryBytes: number;
  pids: number;
}

export interface CgroupStats {
  /** Times the kernel OOM killer fired inside the group. */
  oomKills: number;
  /** Times a fork/clone failed because pids.max was reached. */
  pidsMaxHits: number;
  /** Total CPU time of the group (user + system), in ms. */
  cpuMs: number | null;
  /** Current memory charge in bytes (includes page cache). */
  memoryBytes: number | null;
  /** Current number of tasks (threads + processes). */
  tasks: number | null;
}

export interface Cgroup {
  version: 1 | 2;
  /** Which limits the kernel enforces for this group. */
  enforces: { memory: boolean; pids: boolean; cpuAccounting: boolean };
  /** cgroup.procs files a new process must write its pid into (all of them). */
  procsFiles: string[];
  stats(): CgroupStats;
  /** Peak memory charge in bytes, if the kernel tracks it. */
  peakMemoryBytes(): number | null;
  pids(): number[];
  /** SIGKILL every task in the group (cgroup.kill on v2). */
  killAll(): void;
  /** Kill everything, wait for the group to empty, remove the directories. */
  destroy(): Promise<void>;
  dirs: string[];
}

const PREFIX = 'agora-sandbox-';
let counter = 0;

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

function readNumber(file: string): number | null {
  const t = readText(file);
  if (t === null) return null;
  const n = Number(t.trim());
  return Number.isFinite(n) ? n : null;
}

/** Parse "key value" lines (memory.events, pids.events, cpu.stat, memory.oom_control). */
function readKeyed(file: string): Map<string, number> {
  const out = new Map<string, number>();
  const t = readText(file);
  if (t === null) return out;
  for (const line of t.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && Number.isFinite(Number(v))) out.set(k, Number(v));
  }
  return out;
}

function tryWrite(file: string, value: string): boolean {
  try {
    fs.writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

interface Mount {
  mountPoint: string;
  fsType: string;
  superOptions: string[];
}

function mounts(): Mount[] {
  const t = readText('/proc/self/mountinfo') ?? '';
  const out: Mount[] = [];
  for (const line of t.split('\n')) {
    const parts = line.split(' - ');
    if (parts.length < 2) continue;
    const pre = parts[0]!.split(' ');
    const post = parts[1]!.split(' ');
    const fsType = post[0] ?? '';
    if (fsType !== 'cgroup' && fsType !== 'cgroup2') continue;
    out.push({ mountPoint: pre[4] ?? '', fsType, superOptions: (post[2] ?? '').split(',') });
  }
  return out;
}

/** controller name (or '' for the v2 unified hierarchy) -> path of this process's group */
function ownGroups(): Map<string, string> {
  const out = new Map<string, string>();
  const t = readText('/proc/self/cgroup') ?? '';
  for (const line of t.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const ctrls = m[2]!;
    if (m[1] === '0' && ctrls === '') out.set('', m[3]!);
    else for (const c of ctrls.split(',')) out.set(c, m[3]!);
  }
  return out;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove empty leftovers of runners that died without cleaning up. */
function sweepStale(parent: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(PREFIX)) continue;
    const owner = Number(name.slice(PREFIX.length).split('-')[0]);
    if (!Number.isInteger(owner) || owner === process.pid || pidAlive(owner)) continue;
    const dir = path.join(parent, name);
    for (const pid of readPids(path.join(dir, 'cgroup.procs'))) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    try {
      fs.rmdirSync(dir);
    } catch {}
  }
}

function readPids(file: string): number[] {
  const t = readText(file);
  if (!t) return [];
  return t
    .split('\n')
    .filter((s) => s.trim() !== '')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** mkdir a fresh group under the first candidate parent that accepts it. */
function makeGroup(candidates: string[], name: string): string | null {
  for (const parent of candidates) {
    const dir = path.join(parent, name);
    try {
      fs.mkdirSync(dir);
      sweepStale(parent);
      return dir;
    } catch {
      // not writable here, try the next candidate
    }
  }
  return null;
}

function uniqueName(): string {
  counter += 1;
  return `${PREFIX}${process.pid}-${counter}-${Date.now().toString(36)}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function drainAndRemove(dirs: string[], killAll: () => void): Promise<void> {
  for (let i = 0; i < 100; i++) {
    killAll();
    const left = dirs.some((d) => readPids(path.join(d, 'cgroup.procs')).length > 0);
    if (!left) break;
    await sleep(20);
  }
  for (const d of dirs) {
    for (let i = 0; i < 25; i++) {
      try {
        fs.rmdirSync(d);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        await sleep(20);
      }
    }
  }
}

function createV2(limits: CgroupLimits, mountPoint: string, own: string): Cgroup | null {
  const parents: string[] = [];
  const fromEnv = process.env.AGORA_SANDBOX_CGROUP;
  if (fromEnv) parents.push(fromEnv);
  parents.push(path.join(mountPoint, own));
  const name = uniqueName();
  for (const parent of parents) {
    // Controllers must be enabled in the parent's subtree_control; this only
    // works where the parent has no processes of its own (or is the root).
    const ctrl = readText(path.join(parent, 'cgroup.subtree_control')) ?? '';
    if (!/\bmemory\b/.test(ctrl) || !/\bpids\b/.test(ctrl)) {
      tryWrite(path.join(parent, 'cgroup.subtree_control'), '+memory +pids +cpu');
    }
    const dir = makeGroup([parent], name);
    if (!dir) continue;
    const hasMem = fs.existsSync(path.join(dir, 'memory.max'));
    const hasPids = fs.existsSync(path.join(dir, 'pids.max'));
    if (!hasMem && !hasPids) {
      try {
        fs.rmdirSync(dir);
      } catch {}
      continue;
    }
    const memory = hasMem && tryWrite(path.join(dir, 'memory.max'), String(limits.memoryBytes));
    if (memory) {
      tryWrite(path.join(dir, 'memory.swap.max'), '0');
      tryWrite(path.join(dir, 'memory.oom.group'), '1');
    }
    const pids = hasPids && tryWrite(path.join(dir, 'pids.max'), String(limits.pids));
    const f = (n: string) => path.join(dir, n);
    const killAll = () => {
      if (!tryWrite(f('cgroup.kill'), '1')) {
        for (const pid of readPids(f('cgroup.procs'))) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {}
        }
      }
    };
    return {
      version: 2,
      dirs: [dir],
      enforces: { memory, pids, cpuAccounting: fs.existsSync(f('cpu.stat')) },
      procsFiles: [f('cgroup.procs')],
      stats() {
        const usage = readKeyed(f('cpu.stat')).get('usage_usec');
        return {
          oomKills: readKeyed(f('memory.events')).get('oom_kill') ?? 0,
          pidsMaxHits: readKeyed(f('pids.events')).get('max') ?? 0,
          cpuMs: usage === undefined ? null : usage / 1000,
          memoryBytes: readNumber(f('memory.current')),
          tasks: readNumber(f('pids.current')),
        };
      },
      peakMemoryBytes: () => readNumber(f('memory.peak')),
      pids: () => readPids(f('cgroup.procs')),
      killAll,
      destroy: () => drainAndRemove([dir], killAll),
    };
  }
  return null;
}

function createV1(limits: CgroupLimits, all: Mount[], own: Map<string, string>): Cgroup | null {
  const name = uniqueName();
  const dirOf = new Map<string, string>();
  for (const ctrl of ['memory', 'pids', 'cpuacct']) {
    const m = all.find((x) => x.fsType === 'cgroup' && x.superOptions.includes(ctrl));
    if (!m) continue;
    const ownPath = own.get(ctrl) ?? '/';
    const candidates = [path.join(m.mountPoint, ownPath)];
    if (ownPath !== '/') candidates.push(m.mountPoint);
    const dir = makeGroup(candidates, name);
    if (dir) dirOf.set(ctrl, dir);
  }
  if (dirOf.size === 0) return null;
  const memDir = dirOf.get('memory');
  const pidsDir = dirOf.get('pids');
  const cpuDir = dirOf.get('cpuacct');
  let memory = false;
  if (memDir) {
    memory = tryWrite(path.join(memDir, 'memory.limit_in_bytes'), String(limits.memoryBytes));
    // With swap accounting, also cap memory+swap so the group cannot swap out.
    tryWrite(path.join(memDir, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes));
  }
  const pids = pidsDir ? tryWrite(path.join(pidsDir, 'pids.max'), String(limits.pids)) : false;
  const dirs = [...dirOf.values()];
  const anyDir = dirs[0]!;
  const killAll = () => {
    const seen = new Set<number>();
    for (const d of dirs) for (const pid of readPids(path.join(d, 'cgroup.procs'))) seen.add(pid);
    for (const pid of seen) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
  };
  return {
    version: 1,
    dirs,
    enforces: { memory, pids, cpuAccounting: cpuDir !== undefined },
    procsFiles: dirs.map((d) => path.join(d, 'cgroup.procs')),
    stats() {
      const cpuNs = cpuDir ? readNumber(path.join(cpuDir, 'cpuacct.usage')) : null;
      return {
        oomKills: memDir ? (readKeyed(path.join(memDir, 'memory.oom_control')).get('oom_kill') ?? 0) : 0,
        pidsMaxHits: pidsDir ? (readKeyed(path.join(pidsDir, 'pids.events')).get('max') ?? 0) : 0,
        cpuMs: cpuNs === null ? null : cpuNs / 1e6,
        memoryBytes: memDir ? readNumber(path.join(memDir, 'memory.usage_in_bytes')) : null,
        tasks: pidsDir ? readNumber(path.join(pidsDir, 'pids.current')) : null,
      };
    },
    peakMemoryBytes: () => (memDir ? readNumber(path.join(memDir, 'memory.max_usage_in_bytes')) : null),
    pids: () => readPids(path.join(memDir ?? pidsDir ?? anyDir, 'cgroup.procs')),
    killAll,
    destroy: () => drainAndRemove(dirs, killAll),
  };
}

/**
 * Create a fresh cgroup for one sandboxed run, or null when this host gives
 * us none we can write to. Set AGORA_SANDBOX_CGROUP=off to disable (tests of
 * the /proc-polling fallback), or to a delegated cgroup v2 directory to use
 * as the parent.
 */
export function createCgroup(limits: CgroupLimits): Cgroup | null {
  if (process.platform !== 'linux') return null;
  if (process.env.AGORA_SANDBOX_CGROUP === 'off') return null;
  const all = mounts();
  const own = ownGroups();
  const unified = all.find((m) => m.fsType === 'cgroup2');
  if (unified) {
    const controllers = readText(path.join(unified.mountPoint, 'cgroup.controllers')) ?? '';
    if (/\bmemory\b/.test(controllers) && /\bpids\b/.test(controllers)) {
      const g = createV2(limits, unified.mountPoint, own.get('') ?? '/');
      if (g) return g;
    }
  }
  return createV1(limits, all, own);
}
