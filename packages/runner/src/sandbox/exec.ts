// CLI wrapper around spawnSandboxed, for harnesses written in other languages:
//
//   node packages/runner/src/sandbox/exec.ts --bundle DIR --scratch DIR \
//     --wall S --cpu S --mem MB --procs N [--dev PATH]... [--ro PATH]... \
//     [--env K=V]... [--forward-port PORT]... [--scratch-mb MB] [--cache DIR] [--python-bytecode DIR] [--report FILE] [--allow-unsandboxed] -- cmd args...
//
// Forwards stdin/stdout/stderr, exits with the command's exit code (128+N if
// it died of signal N, 137 when a limit killed it), prints the kill reason on
// stderr and writes the SandboxOutcome JSON to --report. Harnesses get this
// argv prefix as a JSON array in AGORA_SANDBOX_EXEC (see sandboxExecPrefix).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSandboxed } from './sandbox.ts';
import { SandboxUnavailableError, type SandboxOutcome, type SandboxSpec } from './types.ts';

export const EXEC_SCRIPT = fileURLToPath(import.meta.url);

export interface ExecPrefixOptions extends Omit<SandboxSpec, 'command'> {
  /** Where exec.ts writes the SandboxOutcome JSON. */
  report?: string;
  /** Pass --allow-unsandboxed (only where the runner itself was started with the opt-out). */
  allowUnsandboxed?: boolean;
}

/** argv prefix (absolute node + exec.ts + flags + `--`); append the submission's command. */
export function sandboxExecPrefix(spec: ExecPrefixOptions): string[] {
  const out = [
    fs.realpathSync(process.execPath),
    EXEC_SCRIPT,
    '--bundle', path.resolve(spec.bundleDir),
    '--scratch', path.resolve(spec.scratchDir),
    '--wall', String(spec.limits.wallSeconds),
    '--cpu', String(spec.limits.cpuSeconds),
    '--mem', String(spec.limits.memoryMb),
    '--procs', String(spec.limits.processes),
  ];
  for (const d of spec.devices ?? []) out.push('--dev', d);
  for (const p of spec.readOnlyBinds ?? []) out.push('--ro', path.resolve(p));
  for (const [k, v] of Object.entries(spec.env ?? {})) out.push('--env', `${k}=${v}`);
  for (const p of spec.forwardPorts ?? []) out.push('--forward-port', String(p));
  if (spec.scratchMb !== undefined) out.push('--scratch-mb', String(spec.scratchMb));
  if (spec.cacheDir !== undefined) out.push('--cache', path.resolve(spec.cacheDir));
  if (spec.pythonBytecodeDir !== undefined) out.push('--python-bytecode', path.resolve(spec.pythonBytecodeDir));
  if (spec.report) out.push('--report', path.resolve(spec.report));
  if (spec.allowUnsandboxed) out.push('--allow-unsandboxed');
  out.push('--');
  return out;
}

interface ParsedArgs {
  spec: SandboxSpec;
  report?: string;
  allowUnsandboxed: boolean;
}

const USAGE =
  'usage: exec.ts --bundle DIR --scratch DIR --wall S --cpu S --mem MB --procs N ' +
  '[--dev PATH]... [--ro PATH]... [--env K=V]... [--forward-port PORT]... [--scratch-mb MB] [--cache DIR] [--python-bytecode DIR] [--report FILE] [--allow-unsandboxed] -- cmd args...';

export function parseExecArgs(argv: string[]): ParsedArgs {
  const sep = argv.indexOf('--');
  if (sep < 0 || sep === argv.length - 1) throw new Error('missing `-- cmd args...`');
  const flags = argv.slice(0, sep);
  const command = argv.slice(sep + 1);
  const single = new Map<string, string>();
  const devices: string[] = [];
  const readOnlyBinds: string[] = [];
  const env: Record<string, string> = {};
  const forwardPorts: number[] = [];
  let allowUnsandboxed = false;
  for (let i = 0; i < flags.length; i++) {
    const f = flags[i]!;
    if (f === '--allow-unsandboxed') {
      allowUnsandboxed = true;
      continue;
    }
    const v = flags[i + 1];
    if (v === undefined) throw new Error(`${f} needs a value`);
    i++;
    switch (f) {
      case '--dev':
        devices.push(v);
        break;
      case '--ro':
        readOnlyBinds.push(v);
        break;
      case '--forward-port': {
        const n = Number(v);
        if (!/^\d+$/.test(v) || !(n >= 1 && n <= 65535)) throw new Error(`--forward-port wants a port number, got ${v}`);
        forwardPorts.push(n);
        break;
      }
      case '--env': {
        const eq = v.indexOf('=');
        if (eq <= 0) throw new Error(`--env wants KEY=VALUE, got ${v}`);
        env[v.slice(0, eq)] = v.slice(eq + 1);
        break;
      }
      case '--bundle':
      case '--scratch':
      case '--wall':
      case '--cpu':
      case '--mem':
      case '--procs':
      case '--scratch-mb':
      case '--report':
      case '--cache':
      case '--python-bytecode':
        single.set(f, v);
        break;
      default:
        throw new Error(`unknown flag ${f}`);
    }
  }
  const need = (f: string) => {
    const v = single.get(f);
    if (v === undefined) throw new Error(`missing ${f}`);
    return v;
  };
  const num = (f: string) => {
    const n = Number(need(f));
    if (!(n > 0)) throw new Error(`${f} must be a positive number`);
    return n;
  };
  return {
    spec: {
      bundleDir: need('--bundle'),
      scratchDir: need('--scratch'),
      command,
      env,
      devices,
      readOnlyBinds,
      ...(forwardPorts.length > 0 ? { forwardPorts } : {}),
      ...(single.has('--scratch-mb') ? { scratchMb: num('--scratch-mb') } : {}),
      ...(single.has('--cache') ? { cacheDir: single.get('--cache')! } : {}),
      ...(single.has('--python-bytecode') ? { pythonBytecodeDir: single.get('--python-bytecode')! } : {}),
      limits: { wallSeconds: num('--wall'), cpuSeconds: num('--cpu'), memoryMb: num('--mem'), processes: num('--procs') },
    },
    report: single.get('--report'),
    allowUnsandboxed,
  };
}

function exitCodeOf(o: SandboxOutcome): number {
  if (o.exitCode !== null) return o.exitCode;
  const n = o.signal ? os.constants.signals[o.signal as NodeJS.Signals] : undefined;
  return 128 + (n ?? 9);
}

async function main(): Promise<void> {
  let parsed: ParsedArgs;
  try {
    parsed = parseExecArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`agora-sandbox: ${(e as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const writeReport = (data: unknown) => {
    if (parsed.report) fs.writeFileSync(parsed.report, JSON.stringify(data, null, 2) + '\n');
  };
  let run;
  try {
    run = spawnSandboxed(parsed.spec, { allowUnsandboxed: parsed.allowUnsandboxed });
  } catch (e) {
    const msg = (e as Error).message;
    process.stderr.write(`agora-sandbox: ${msg}\n`);
    writeReport({ error: e instanceof SandboxUnavailableError ? 'sandbox_unavailable' : 'sandbox_error', message: msg });
    process.exit(e instanceof SandboxUnavailableError ? 126 : 125);
  }
  const { child, done, kill } = run;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => kill(`the sandbox wrapper received ${sig}`));
  }
  child.stdin.on('error', () => {}); // the command may not read its stdin
  process.stdin.on('error', () => {});
  process.stdin.pipe(child.stdin);
  child.stdout.pipe(process.stdout);
  child.stderr.pipe(process.stderr);
  const outcome = await done;
  process.stdin.unpipe(child.stdin);
  process.stdin.destroy();
  writeReport(outcome);
  if (outcome.killed) process.stderr.write(`agora-sandbox: ${outcome.killed.reason}\n`);
  const code = exitCodeOf(outcome);
  process.stdout.write('', () => process.exit(code));
}

if (process.argv[1] && path.resolve(process.argv[1]) === EXEC_SCRIPT) {
  await main();
}
