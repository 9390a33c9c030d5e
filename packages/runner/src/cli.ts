// `agora runner` as a function of its arguments, for the CLI (and `agora up`) to call:
//
//   runner [start] --server URL --token T --labels cpu,x86 [--challenges DIR] [--work DIR]
//                  [--concurrency N] [--poll-ms MS] [--bind PATH]... [--allow-unsandboxed]
//                  [--cache DIR | --no-cache] [--cache-max-mb N] [--python-bytecode PYTHON | --no-python-bytecode]
//   runner export --out DIR --server URL --token T --labels gpu
//   runner run-offline DIR [--challenges DIR] [--bind PATH]... [--allow-unsandboxed]
//                  [--cache DIR | --no-cache] [--cache-max-mb N] [--python-bytecode PYTHON | --no-python-bytecode]
//   runner upload DIR --server URL --token T
//
// --server and --token default to $AGORA_URL and $AGORA_RUNNER_TOKEN.

import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defaultOfflineCacheDir, exportJob, runOffline, uploadOffline } from './offline.ts';
import { startRunner } from './runner.ts';
import { findExecutable } from './sandbox/index.ts';

/** The repository's challenges/ folder, the default --challenges. */
export const DEFAULT_CHALLENGES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../challenges');

export const RUNNER_USAGE = `usage:
  agora runner [start] --server URL --token T --labels cpu,x86 [--challenges DIR] [--work DIR]
               [--concurrency N] [--poll-ms MS] [--bind PATH]... [--allow-unsandboxed]
               [--cache DIR | --no-cache] [--cache-max-mb N] [--python-bytecode PYTHON | --no-python-bytecode]
  agora runner export --out DIR --server URL --token T --labels gpu
  agora runner run-offline DIR [--challenges DIR] [--bind PATH]... [--allow-unsandboxed]
               [--cache DIR | --no-cache] [--cache-max-mb N] [--python-bytecode PYTHON | --no-python-bytecode]
  agora runner upload DIR --server URL --token T
(--server and --token default to $AGORA_URL and $AGORA_RUNNER_TOKEN)
--cache DIR: the compile cache kept between jobs of the same submission and split, bound at /cache
  in the sandbox (default: start <work dir>/cache, run-offline $XDG_CACHE_HOME/agora-runner or
  ~/.cache/agora-runner); --no-cache turns it off; --cache-max-mb N caps it (default 16384),
  least recently used entries removed after each job
--python-bytecode PYTHON: compile PYTHON's site-packages to bytecode (the runner itself, once; again
  when they change) into <cache dir>/python-bytecode/, bound read-only at /pycache in every job with
  PYTHONPYCACHEPREFIX=/pycache (run-offline: on by default with python3 if it is on PATH; start: off
  unless given, since compiling holds up its first claim and heartbeats; with --no-cache the tree goes
  under the work dir for start, ~/.cache/agora-runner for run-offline); --no-python-bytecode turns it off`;

class UsageError extends Error {}

/** Runs one `agora runner ...` command; resolves with the process exit code. */
export async function runnerMain(argv: string[], log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        server: { type: 'string' },
        token: { type: 'string' },
        labels: { type: 'string' },
        challenges: { type: 'string' },
        work: { type: 'string' },
        out: { type: 'string' },
        concurrency: { type: 'string' },
        'poll-ms': { type: 'string' },
        bind: { type: 'string', multiple: true },
        cache: { type: 'string' },
        'no-cache': { type: 'boolean', default: false },
        'cache-max-mb': { type: 'string' },
        'python-bytecode': { type: 'string' },
        'no-python-bytecode': { type: 'boolean', default: false },
        'allow-unsandboxed': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (e) {
    log(`${(e as Error).message}\n${RUNNER_USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  if (v.help) {
    log(RUNNER_USAGE);
    return 0;
  }
  const [sub = 'start', ...rest] = positionals;
  const need = (name: string, value: string | undefined): string => {
    if (!value) throw new UsageError(`missing --${name}`);
    return value;
  };
  const server = () => need('server', v.server ?? process.env.AGORA_URL);
  const token = () => need('token', v.token ?? process.env.AGORA_RUNNER_TOKEN);
  const labels = () => need('labels', v.labels).split(',').map((s) => s.trim()).filter(Boolean);
  const num = (name: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a positive integer`);
    return n;
  };
  /** The compile cache options for start and run-offline: {} when off. */
  const cacheOptions = (fallback: string): { cacheDir?: string; cacheMaxMb?: number } => {
    if (v['no-cache']) {
      if (v.cache !== undefined) throw new UsageError('--cache and --no-cache contradict each other: give one');
      if (v['cache-max-mb'] !== undefined) throw new UsageError('--cache-max-mb has no effect with --no-cache');
      return {};
    }
    if (v.cache !== undefined && !v.cache.trim()) throw new UsageError('--cache needs a directory (or --no-cache to turn the compile cache off)');
    const dir = resolve(v.cache ?? fallback);
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new UsageError(`--cache ${dir}: exists and is not a directory`);
    const max = num('cache-max-mb', v['cache-max-mb']);
    return { cacheDir: dir, ...(max !== undefined ? { cacheMaxMb: max } : {}) };
  };
  /**
   * The shared bytecode tree's option for start and run-offline (where the tree goes is theirs to
   * default). byDefault: python3 on PATH when neither flag is given (run-offline; start compiles
   * synchronously before its first claim, so it asks for the flag).
   */
  const bytecodeOptions = (byDefault: boolean): { pythonBytecode?: string } => {
    if (v['no-python-bytecode']) {
      if (v['python-bytecode'] !== undefined) throw new UsageError('--python-bytecode and --no-python-bytecode contradict each other: give one');
      return {};
    }
    if (v['python-bytecode'] !== undefined && !v['python-bytecode'].trim()) throw new UsageError('--python-bytecode needs a Python interpreter (or --no-python-bytecode to turn it off)');
    if (v['python-bytecode'] === undefined && !byDefault) return {};
    const python = v['python-bytecode'] ?? (findExecutable('python3') ? 'python3' : undefined);
    if (python === undefined) {
      log('python bytecode: off (no python3 on PATH; --python-bytecode PYTHON names one)');
      return {};
    }
    return { pythonBytecode: python };
  };
  const noCacheFlags = () => {
    if (v.cache !== undefined || v['no-cache'] || v['cache-max-mb'] !== undefined) throw new UsageError(`--cache, --no-cache and --cache-max-mb are for start and run-offline, not ${sub}`);
    if (v['python-bytecode'] !== undefined || v['no-python-bytecode']) throw new UsageError(`--python-bytecode and --no-python-bytecode are for start and run-offline, not ${sub}`);
  };
  const out = (x: unknown) => {
    if (v.json) process.stdout.write(JSON.stringify(x) + '\n');
  };
  try {
    switch (sub) {
      case 'start': {
        const concurrency = num('concurrency', v.concurrency);
        const pollMs = num('poll-ms', v['poll-ms']);
        const workDir = v.work ?? join(tmpdir(), 'agora-runner');
        const cache = cacheOptions(join(workDir, 'cache'));
        const bytecode = bytecodeOptions(false);
        const runner = await startRunner({
          url: server(),
          token: token(),
          labels: labels(),
          challengesDir: v.challenges ?? DEFAULT_CHALLENGES,
          workDir,
          allowUnsandboxed: v['allow-unsandboxed'],
          ...cache,
          ...bytecode,
          ...(concurrency ? { concurrency } : {}),
          ...(pollMs ? { pollMs } : {}),
          ...(v.bind ? { sandboxBinds: v.bind } : {}),
          log,
        });
        // First signal: finish gracefully (running jobs are handed back); second: exit now.
        let signals = 0;
        const onSignal = (sig: string) => {
          signals++;
          if (signals === 1) {
            log(`agora runner: ${sig}: stopping (again to force)`);
            void runner.stop();
          } else process.exit(130);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
        await runner.done;
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        return 0;
      }
      case 'export': {
        noCacheFlags();
        const file = await exportJob({ url: server(), token: token(), labels: labels(), outDir: need('out', v.out ?? rest[0]), log });
        out(file ? { jobId: file.job.jobId, dir: resolve(v.out ?? rest[0]!), leaseExpiresAt: file.job.leaseExpiresAt } : { jobId: null });
        if (!file) log('no job waiting for these labels');
        return file ? 0 : 3;
      }
      case 'run-offline': {
        const dir = need('dir (a positional argument)', rest[0]);
        const cache = cacheOptions(defaultOfflineCacheDir());
        const bytecode = bytecodeOptions(true);
        const body = await runOffline({
          dir,
          challengesDir: v.challenges ?? DEFAULT_CHALLENGES,
          allowUnsandboxed: v['allow-unsandboxed'],
          ...cache,
          ...bytecode,
          ...(v.bind ? { sandboxBinds: v.bind } : {}),
          log,
        });
        out({ outcome: body.outcome, reason: body.reason ?? null });
        return 0;
      }
      case 'upload': {
        noCacheFlags();
        const up = await uploadOffline({ url: server(), token: token(), dir: need('dir (a positional argument)', rest[0]), log });
        out(up);
        return up.status === 'written' ? 0 : 1;
      }
      default:
        throw new UsageError(`unknown runner command ${JSON.stringify(sub)}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      log(`${e.message}\n${RUNNER_USAGE}`);
      return 2;
    }
    log(`agora runner ${sub}: ${(e as Error).message}`);
    return 1;
  }
}

if (import.meta.main) process.exitCode = await runnerMain(process.argv.slice(2));
