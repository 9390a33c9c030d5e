// Runs a challenge's trusted harness: its command from challenge.yaml, cwd the challenge folder,
// args --submission DIR --split NAME --out FILE. Streams its output line by line, enforces the
// job's wall-clock limit and kills the whole process tree on time-out or request.

import { spawn } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { killPids, processTree } from './sandbox/proctree.ts';

export type HarnessStream = 'stdout' | 'stderr';

export interface HarnessRunOptions {
  /** argv from challenge.yaml; a bare `node` means the Node running the runner. */
  command: string[];
  cwd: string;
  bundleDir: string;
  split: string;
  outFile: string;
  /** Appended as `--repeats N` only when given (the job asks for other than the challenge's default). */
  repeats?: number;
  /** A smoke run: `--smoke` is appended (one untimed request on public data; decision 0180). */
  smoke?: boolean;
  /** Seconds before the harness and everything under it is killed. */
  wallSeconds: number;
  env: Record<string, string>;
  onLine: (stream: HarnessStream, text: string) => void;
}

export interface HarnessRun {
  pid: number | undefined;
  /** Kill the tree now (cancel, lease lost); `done` resolves with `killed.by = 'requested'`. */
  kill(reason: string): void;
  done: Promise<HarnessExit>;
}

export interface HarnessExit {
  exitCode: number | null;
  signal: string | null;
  wallMs: number;
  killed: null | { by: 'wall_time' | 'requested'; reason: string };
  /** Last ~4 KB of stderr, for the reason of an errored job. */
  stderrTail: string;
  spawnError: string | null;
}

/** Longest log line kept; the rest is cut with a marker. */
export const MAX_LINE_CHARS = 8192;
const TAIL = 4096;

export function resolveCommand(command: string[]): string[] {
  const [head, ...rest] = command;
  if (head === 'node') return [realpathSync(process.execPath), ...rest];
  return command;
}

/** PATH with this Node's folder first, so a harness's `node` child is Node 24 too. */
export function harnessPath(): string {
  return [dirname(realpathSync(process.execPath)), process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(':');
}

/** Splits a text stream into lines, cutting overlong lines with a marker. */
export function lineSplitter(emit: (text: string) => void): { push(chunk: string): void; end(): void } {
  let buf = '';
  let cut = false;
  const marker = ` [line cut at ${MAX_LINE_CHARS} characters]`;
  return {
    push(chunk) {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, '');
        buf = buf.slice(i + 1);
        if (!cut) emit(line.length > MAX_LINE_CHARS ? line.slice(0, MAX_LINE_CHARS) + marker : line);
        cut = false;
      }
      if (buf.length > MAX_LINE_CHARS) {
        if (!cut) emit(buf.slice(0, MAX_LINE_CHARS) + marker);
        cut = true;
        buf = '';
      }
    },
    end() {
      if (buf && !cut) emit(buf);
      buf = '';
    },
  };
}

function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  // Parents first, then the process group the harness leads (detached), for stragglers.
  killPids(processTree(pid).map((p) => p.pid));
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {}
}

export function startHarness(o: HarnessRunOptions): HarnessRun {
  const [cmd, ...args] = resolveCommand(o.command);
  const argv = [...args, '--submission', o.bundleDir, '--split', o.split, '--out', o.outFile];
  if (o.repeats !== undefined) argv.push('--repeats', String(o.repeats));
  if (o.smoke) argv.push('--smoke');
  const started = performance.now(); // monotonic: a duration, unmoved by wall-clock jumps
  let killed: HarnessExit['killed'] = null;
  let stderrTail = '';
  let spawnError: string | null = null;
  const child = spawn(cmd!, argv, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const kill = (by: 'wall_time' | 'requested', reason: string) => {
    if (killed) return;
    killed = { by, reason };
    killTree(child.pid);
  };
  const timer = setTimeout(
    () => kill('wall_time', `the harness ran past the job's wall-clock limit of ${o.wallSeconds} s and was killed with everything it started`),
    o.wallSeconds * 1000,
  );
  const out = lineSplitter((t) => o.onLine('stdout', t));
  const err = lineSplitter((t) => o.onLine('stderr', t));
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (c: string) => out.push(c));
  child.stderr.on('data', (c: string) => {
    stderrTail = (stderrTail + c).slice(-TAIL);
    err.push(c);
  });
  child.on('error', (e) => {
    spawnError = `could not start the harness ${JSON.stringify([cmd, ...args])}: ${e.message}`;
  });
  const done = new Promise<HarnessExit>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      out.end();
      err.end();
      // Whatever the harness left behind (a submission it forgot to stop) dies with the job.
      killTree(child.pid);
      resolve({ exitCode: code, signal, wallMs: Math.round(performance.now() - started), killed, stderrTail, spawnError });
    });
  });
  return { pid: child.pid, kill: (reason) => kill('requested', reason), done };
}
