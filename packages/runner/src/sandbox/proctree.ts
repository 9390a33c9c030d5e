// /proc based accounting of a process tree: the fallback when no writable
// cgroup exists, and the way we find a tree's members to kill them.

import fs from 'node:fs';

const CLK_TCK = 100; // USER_HZ is 100 on every Linux ABI Node supports
const PAGE = 4096;

export interface ProcInfo {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime (reaped children) in ms */
  cpuMs: number;
  rssBytes: number;
  threads: number;
}

export function readProc(pid: number): ProcInfo | null {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const close = stat.lastIndexOf(')');
  if (close < 0) return null;
  // Fields after "pid (comm)": index k here is field k+3 of proc(5).
  const f = stat.slice(close + 2).split(' ');
  const num = (i: number) => Number(f[i] ?? 0);
  if (f[0] === 'Z') return { pid, ppid: num(1), cpuMs: 0, rssBytes: 0, threads: 0 };
  return {
    pid,
    ppid: num(1),
    cpuMs: ((num(11) + num(12) + num(13) + num(14)) * 1000) / CLK_TCK,
    threads: num(17),
    rssBytes: anonRss(pid) ?? num(21) * PAGE,
  };
}

/**
 * Anonymous + shmem resident memory (what a process itself allocated),
 * leaving out file-backed pages such as the shared node/libc text that would
 * otherwise be counted once per process.
 */
function anonRss(pid: number): number | null {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const anon = /^RssAnon:\s+(\d+) kB/m.exec(status);
  if (!anon) return null;
  const shmem = /^RssShmem:\s+(\d+) kB/m.exec(status);
  return (Number(anon[1]) + Number(shmem?.[1] ?? 0)) * 1024;
}

export function allProcs(): ProcInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  const out: ProcInfo[] = [];
  for (const n of names) {
    const pid = Number(n);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const p = readProc(pid);
    if (p) out.push(p);
  }
  return out;
}

/** The process itself and all its descendants, parents before children. */
export function processTree(root: number, procs: ProcInfo[] = allProcs()): ProcInfo[] {
  const children = new Map<number, ProcInfo[]>();
  let rootInfo: ProcInfo | undefined;
  for (const p of procs) {
    if (p.pid === root) rootInfo = p;
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  if (!rootInfo) return [];
  const out: ProcInfo[] = [rootInfo];
  for (let i = 0; i < out.length; i++) {
    for (const c of children.get(out[i]!.pid) ?? []) out.push(c);
  }
  return out;
}

export interface TreeUsage {
  cpuMs: number;
  rssBytes: number;
  tasks: number;
  pids: number[];
}

export function treeUsage(tree: ProcInfo[]): TreeUsage {
  let cpuMs = 0;
  let rssBytes = 0;
  let tasks = 0;
  for (const p of tree) {
    cpuMs += p.cpuMs;
    rssBytes += p.rssBytes;
    tasks += p.threads;
  }
  return { cpuMs, rssBytes, tasks, pids: tree.map((p) => p.pid) };
}

/** SIGKILL a list of pids, ignoring the ones already gone. */
export function killPids(pids: Iterable<number>): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}
