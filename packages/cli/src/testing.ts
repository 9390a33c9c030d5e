// Test helpers: the CLI as a real child process (the repository's Node 24), with its own config file.
// Always asynchronous: the server under test usually lives in the test's own process.

import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The run's JSON output, after asserting it exited 0 (stderr in the message otherwise). */
export const json = <T = Record<string, any>>(r: CliResult): T => {
  assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

/** The run's stdout, after asserting it exited 0. */
export const ok = (r: CliResult): string => {
  assert.equal(r.code, 0, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
};

export const MAIN = resolve(dirname(fileURLToPath(import.meta.url)), 'main.ts');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for a CLI run: nothing from the caller's AGORA_* variables leaks in. */
export function cliEnv(configPath: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('AGORA_')) env[k] = v;
  return { ...env, AGORA_CONFIG: configPath, NO_COLOR: '1', ...extra };
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [MAIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs `agora ...args` to the end; `input` is written to its stdin (closed either way). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawnCli(args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolveRun({ code, signal, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Collects a long-running child's output and waits for a pattern in it. */
export class Running {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawnCli(args, env);
    this.child.stdout.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => this.child.on('close', (code, signal) => r({ code, signal })));
    this.child.stdin.end();
  }

  async waitFor(re: RegExp, ms = 20_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpExecArray> {
    const end = Date.now() + ms;
    let done = false;
    void this.exited.then(() => (done = true));
    for (;;) {
      const m = re.exec(this[stream]);
      if (m) return m;
      if (done || Date.now() > end)
        throw new Error(`${done ? 'exited' : 'timed out'} before ${re} appeared on ${stream}\n--- stdout\n${this.stdout}\n--- stderr\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
}

export const tmpConfig = (dir: string) => join(dir, 'agora', 'config.json');
