/**
 * The harness's side of the submission process: starts it (inside the sandbox when the runner gives
 * one), reads its JSON lines with time limits, and turns every way it can misbehave into a
 * SubmissionFailure with an actionable reason.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export type FailureCode = 'bad_manifest' | 'start_failed' | 'startup_timeout' | 'crashed' | 'timeout' | 'protocol_error' | 'output_too_large';

export class SubmissionFailure extends Error {
  readonly code: FailureCode;
  constructor(code: FailureCode, reason: string) {
    super(reason);
    this.code = code;
  }
}

export interface Manifest {
  command: string[];
  description?: string;
}

export function readManifest(dir: string): Manifest {
  const path = join(dir, 'agora.json');
  if (!existsSync(path)) throw new SubmissionFailure('bad_manifest', `no agora.json in the submission (${path}); it must hold {"command": ["node", "serve.ts"]}`);
  let m: unknown;
  try {
    m = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SubmissionFailure('bad_manifest', `agora.json is not valid JSON: ${(e as Error).message}`);
  }
  const cmd = (m as { command?: unknown }).command;
  if (!Array.isArray(cmd) || cmd.length === 0 || !cmd.every((x) => typeof x === 'string' && x.length > 0))
    throw new SubmissionFailure('bad_manifest', 'agora.json: "command" must be a non-empty array of strings, e.g. ["node", "serve.ts"]');
  return m as Manifest;
}

/** What a result names as the submission's sandbox, for a prefix (null: none). */
export const sandboxKind = (prefix: string[] | null = sandboxPrefix()): string =>
  prefix === null ? 'none' : (process.env.AGORA_SANDBOX_KIND ?? 'agora-sandbox-exec');

/** The sandbox argv prefix from AGORA_SANDBOX_EXEC (a JSON array of strings), or null. */
export function sandboxPrefix(env: NodeJS.ProcessEnv = process.env): string[] | null {
  const raw = env.AGORA_SANDBOX_EXEC;
  if (raw === undefined || raw === '') return null;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new Error(`AGORA_SANDBOX_EXEC is not JSON: ${raw.slice(0, 200)}`);
  }
  if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string')) throw new Error('AGORA_SANDBOX_EXEC must be a non-empty JSON array of strings');
  return v as string[];
}

const MAX_LINE = 1 << 20; // 1 MiB per response line
const STDERR_KEEP = 3000;

export class SubmissionProcess {
  readonly child: ChildProcess;
  readonly sandbox: string;
  readonly argv: string[];
  private buf = '';
  private lines: string[] = [];
  private waiter: (() => void) | null = null;
  private stderrTail = '';
  private exited: { code: number | null; signal: string | null } | null = null;
  private procExited = false;
  private spawnError: Error | null = null;
  private tooLarge = false;
  private scratch: string;

  /** `sandboxed: false` only for the challenge's own trusted code (the interleaved baseline). */
  constructor(dir: string, manifest: Manifest, opts: { sandboxed?: boolean } = {}) {
    const cmd = [...manifest.command];
    const prefix = opts.sandboxed === false ? null : sandboxPrefix();
    // Unsandboxed, "node" means the harness's own Node 24 (the PATH may hold an older one); the
    // sandbox puts that same Node first on its own PATH, so there "node" stays as it is.
    if (prefix === null && cmd[0] === 'node') cmd[0] = process.execPath;
    this.sandbox = sandboxKind(prefix);
    this.argv = [...(prefix ?? []), ...cmd];
    this.scratch = mkdtempSync(join(tmpdir(), 'tiny-lm-scratch-'));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', TMPDIR: this.scratch, HOME: this.scratch };
    if (prefix !== null) for (const [k, v] of Object.entries(process.env)) if (k.startsWith('AGORA_SANDBOX_') && v !== undefined) env[k] = v;
    this.child = spawn(this.argv[0] as string, this.argv.slice(1), { cwd: resolve(dir), env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child.on('error', (e) => {
      this.spawnError = e;
      this.wake();
    });
    this.child.on('exit', () => {
      this.procExited = true;
    });
    // 'close' comes after stdout is drained, so every line it printed before dying is read first
    this.child.on('close', (code, signal) => {
      this.procExited = true;
      this.exited = { code, signal };
      this.wake();
    });
    this.child.stdin!.on('error', () => {}); // EPIPE when it died: reported through 'exit'
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.buf += chunk;
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, i));
        this.buf = this.buf.slice(i + 1);
      }
      if (this.buf.length > MAX_LINE) this.tooLarge = true;
      this.wake();
    });
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_KEEP);
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  stderr(): string {
    return this.stderrTail;
  }

  private withStderr(msg: string): string {
    const tail = this.stderrTail.trim();
    return tail ? `${msg}\n--- submission stderr (last lines) ---\n${tail.slice(-1500)}` : msg;
  }

  /** Next stdout line, or a SubmissionFailure (`what` names what was awaited, for the reason text). */
  async readLine(timeoutMs: number, what: string, phase: 'startup' | 'request'): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.tooLarge) throw new SubmissionFailure('output_too_large', this.withStderr(`a stdout line exceeded ${MAX_LINE} bytes while waiting for ${what}`));
      const line = this.lines.shift();
      if (line !== undefined) {
        if (line.length > MAX_LINE) throw new SubmissionFailure('output_too_large', `a stdout line exceeded ${MAX_LINE} bytes (${what})`);
        return line;
      }
      if (this.spawnError) throw new SubmissionFailure('start_failed', `could not start ${JSON.stringify(this.argv)}: ${this.spawnError.message}`);
      if (this.exited) {
        const how = this.exited.signal ? `was killed by ${this.exited.signal}` : `exited with code ${this.exited.code}`;
        if (phase === 'startup')
          throw new SubmissionFailure('start_failed', this.withStderr(`the submission ${how} before printing {"ready":true} (command ${JSON.stringify(this.argv.slice(-4))})`));
        throw new SubmissionFailure('crashed', this.withStderr(`the submission ${how} while the harness waited for ${what}`));
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        if (phase === 'startup') throw new SubmissionFailure('startup_timeout', this.withStderr(`no {"ready":true} line on stdout within ${timeoutMs} ms of starting`));
        throw new SubmissionFailure('timeout', this.withStderr(`no answer to ${what} within ${timeoutMs} ms (the per-request limit); is the server stuck, or writing without a newline?`));
      }
      await new Promise<void>((res) => {
        const t = setTimeout(() => {
          this.waiter = null;
          res();
        }, left);
        this.waiter = () => {
          clearTimeout(t);
          res();
        };
      });
    }
  }

  /** Whether the process wrote anything (a whole line or part of one) that has not been read yet. */
  hasUnreadOutput(): boolean {
    return this.lines.length > 0 || this.buf.length > 0;
  }

  send(obj: unknown): void {
    if (this.exited || this.spawnError) return; // the next readLine reports it
    this.child.stdin!.write(JSON.stringify(obj) + '\n');
  }

  /** Closes stdin, gives it a moment to exit, then kills its whole process group. */
  async stop(graceMs = 500): Promise<void> {
    try {
      this.child.stdin!.end();
    } catch {
      /* already closed */
    }
    if (!this.procExited && !this.spawnError) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, graceMs);
        this.child.once('exit', () => {
          clearTimeout(t);
          res();
        });
      });
    }
    if (this.child.pid !== undefined && !this.exited) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        try {
          this.child.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    rmSync(this.scratch, { recursive: true, force: true });
  }
}
