// The small framework every command uses: declared options (node:util parseArgs), typed argument
// helpers that turn bad input into usage errors (exit 2), and a context that resolves the server,
// key and collaboration lazily, prints JSON or text, and hands out SDK clients.

import { readFileSync } from 'node:fs';
import type { ParseArgsOptionsConfig } from 'node:util';
import { AgoraClient } from '@agora/sdk';
import { LocalError } from '@agora/sdk/local';
import { ConfigError, resolveConfig, type Resolved } from './config.ts';
import { agoraCommand } from './invocation.ts';

export class UsageError extends Error {}

/**
 * An error that is neither the server's answer nor a usage mistake: `error <code>: <message>`, exit 1.
 * The SDK's local helpers (folders, files) throw its base class, LocalError, printed the same way.
 */
export class CliError extends LocalError {}

export interface Io {
  stdout(s: string): void;
  stderr(s: string): void;
  readStdin(): Promise<string>;
}

export const processIo: Io = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  async readStdin() {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
};

export interface Command {
  /** The words that select it: 'board post'. */
  name: string;
  /** Arguments after the name, for the usage line: '[--title T] [--tag X]... BODY'. */
  args?: string;
  summary: string;
  options?: ParseArgsOptionsConfig;
  /** Takes its arguments unparsed (as positionals): commands that delegate to another parser. */
  raw?: boolean;
  /** Resolves with the exit code (0 when nothing is returned). */
  run(c: Ctx, a: Args): Promise<number | void>;
}

export const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  profile: { type: 'string' },
  url: { type: 'string' },
  collab: { type: 'string', short: 'c' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

type Value = string | boolean | string[] | undefined;

/** Parsed arguments of one command, with helpers that validate as they read. */
export class Args {
  readonly values: Record<string, Value>;
  readonly positionals: string[];
  constructor(values: Record<string, Value>, positionals: string[]) {
    this.values = values;
    this.positionals = positionals;
  }

  str(name: string): string | undefined {
    const v = this.values[name];
    return typeof v === 'string' ? v : Array.isArray(v) ? v.at(-1) : undefined;
  }

  need(name: string, what = `--${name}`): string {
    const v = this.str(name);
    if (v === undefined || v === '') throw new UsageError(`missing ${what}`);
    return v;
  }

  flag(name: string): boolean {
    return this.values[name] === true;
  }

  /** A repeatable option, also accepting comma-separated values: --tag a --tag b,c. */
  list(name: string): string[] {
    const v = this.values[name];
    const raw = Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
    return raw.flatMap((x) => x.split(',')).map((x) => x.trim()).filter(Boolean);
  }

  int(name: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.str(name);
    return v === undefined ? undefined : toInt(v, `--${name}`, opts);
  }

  /** The i-th positional, required. */
  pos(i: number, what: string): string {
    const v = this.positionals[i];
    if (v === undefined || v === '') throw new UsageError(`missing ${what}`);
    return v;
  }

  /** A positional id such as 12, #12, s12 or p12. */
  id(i: number, what: string): number {
    return toInt(this.pos(i, what).replace(/^#?[sp]?/i, ''), what, { min: 1, max: 2_147_483_647 });
  }

  /** No positionals past `n`: catches a forgotten quote around a body. */
  atMost(n: number): void {
    if (this.positionals.length > n) throw new UsageError(`unexpected argument ${JSON.stringify(this.positionals[n])} (quote text that has spaces)`);
  }
}

export function toInt(v: string, what: string, opts: { min?: number; max?: number } = {}): number {
  if (!/^-?\d{1,15}$/.test(v.trim())) throw new UsageError(`${what} must be a whole number, not ${JSON.stringify(v.slice(0, 40))}`);
  const n = Number(v);
  if (opts.min !== undefined && n < opts.min) throw new UsageError(`${what} must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw new UsageError(`${what} must be at most ${opts.max}`);
  return n;
}

export interface Globals {
  json: boolean;
  profile: string | undefined;
  url: string | undefined;
  collab: string | undefined;
}

/** What a command runs with: globals, environment, output, and lazily resolved config and clients. */
export class Ctx {
  readonly globals: Globals;
  readonly env: NodeJS.ProcessEnv;
  readonly io: Io;
  private resolvedCache: Resolved | undefined;

  constructor(globals: Globals, env: NodeJS.ProcessEnv, io: Io) {
    this.globals = globals;
    this.env = env;
    this.io = io;
  }

  get json(): boolean {
    return this.globals.json;
  }

  resolved(): Resolved {
    try {
      this.resolvedCache ??= resolveConfig({ profile: this.globals.profile, url: this.globals.url, collab: this.globals.collab }, this.env);
    } catch (e) {
      if (e instanceof ConfigError) throw new CliError('config', e.message);
      throw e;
    }
    return this.resolvedCache;
  }

  /** The server address (flag, env or profile), checked to be an http(s) URL. */
  serverUrl(): string {
    const r = this.resolved();
    if (!r.url) {
      if (this.globals.profile !== undefined && !r.profileExists)
        throw new CliError('config', `no profile "${r.profileName}" in ${r.path} (profiles: ${r.profileNames.join(', ') || 'none'})`);
      throw new CliError('no_server', `no server address: start one with \`${this.cmd('up')}\`, or set AGORA_URL, or pass --url`);
    }
    let parsed: URL;
    try {
      parsed = new URL(r.url);
    } catch {
      throw new CliError('config', `the server address ${JSON.stringify(r.url)} is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError('config', `the server address must be http(s), not ${parsed.protocol}`);
    return r.url;
  }

  /** A client for the configured server, with the key when there is one. */
  client(): AgoraClient {
    const r = this.resolved();
    if (this.globals.profile !== undefined && !r.profileExists)
      throw new CliError('config', `no profile "${r.profileName}" in ${r.path} (profiles: ${r.profileNames.join(', ') || 'none'})`);
    return new AgoraClient({ url: this.serverUrl(), apiKey: r.apiKey });
  }

  /** A client that must carry a key. */
  authed(): AgoraClient {
    const c = this.client();
    if (!c.apiKey) throw new CliError('no_key', `no API key: \`${this.cmd('register')}\` saves one, or set AGORA_API_KEY (config: ${this.resolved().path})`);
    return c;
  }

  collab(): string {
    const slug = this.resolved().collaboration;
    if (!slug) throw new UsageError(`which collaboration? pass --collab SLUG, set AGORA_COLLAB, or \`${this.cmd('use SLUG')}\` (\`${this.cmd('collabs')}\` lists them)`);
    return slug;
  }

  /** A command to paste, in the form this user runs agora (`agora ...`, `./agora ...`, `npm run agora -- ...`). */
  cmd(rest: string): string {
    this.agoraPrefix ??= agoraCommand(this.env);
    return `${this.agoraPrefix} ${rest}`;
  }

  private agoraPrefix: string | undefined;

  out(text: string): void {
    this.io.stdout(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Diagnostics and hints: stderr, so stdout stays clean for --json. */
  note(text: string): void {
    this.io.stderr(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** --json: the response as JSON; otherwise the human rendering. */
  print(data: unknown, human: () => string): void {
    this.out(this.json ? JSON.stringify(data, null, 2) : human());
  }

  /** Text from `--file F`, a positional, or stdin when that positional is `-`. */
  async text(a: Args, pos: number, what: string, opts: { optional?: boolean } = {}): Promise<string | undefined> {
    const file = a.str('file');
    const arg = a.positionals[pos];
    if (file !== undefined && arg !== undefined) throw new UsageError(`give the ${what} as an argument or with --file, not both`);
    if (file !== undefined) {
      if (file === '-') return this.io.readStdin();
      try {
        return readFileSync(file, 'utf8');
      } catch (e) {
        throw new CliError('file', `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    if (arg === '-') return this.io.readStdin();
    if (arg === undefined && !opts.optional) throw new UsageError(`missing ${what} (an argument, --file F, or - for stdin)`);
    return arg;
  }
}
