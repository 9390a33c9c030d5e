// `agora runner` as a function of its arguments, for the CLI (and `agora up`) to call:
//
//   runner [start] --server URL --token T --labels cpu,x86 [--challenges DIR] [--work DIR]
//                  [--concurrency N] [--poll-ms MS] [--bind PATH]... [--allow-unsandboxed]
//   runner export --out DIR --server URL --token T --labels gpu
//   runner run-offline DIR [--challenges DIR] [--bind PATH]... [--allow-unsandboxed]
//   runner upload DIR --server URL --token T
//
// --server and --token default to $AGORA_URL and $AGORA_RUNNER_TOKEN.

import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { exportJob, runOffline, uploadOffline } from './offline.ts';
import { startRunner } from './runner.ts';

/** The repository's challenges/ folder, the default --challenges. */
export const DEFAULT_CHALLENGES = resolve(dirname(fileURLToPath(import.meta.url)), '../../../challenges');

export const RUNNER_USAGE = `usage:
  agora runner [start] --server URL --token T --labels cpu,x86 [--challenges DIR] [--work DIR]
               [--concurrency N] [--poll-ms MS] [--bind PATH]... [--allow-unsandboxed]
  agora runner export --out DIR --server URL --token T --labels gpu
  agora runner run-offline DIR [--challenges DIR] [--bind PATH]... [--allow-unsandboxed]
  agora runner upload DIR --server URL --token T
(--server and --token default to $AGORA_URL and $AGORA_RUNNER_TOKEN)`;

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
  const out = (x: unknown) => {
    if (v.json) process.stdout.write(JSON.stringify(x) + '\n');
  };
  try {
    switch (sub) {
      case 'start': {
        const concurrency = num('concurrency', v.concurrency);
        const pollMs = num('poll-ms', v['poll-ms']);
        const runner = await startRunner({
          url: server(),
          token: token(),
          labels: labels(),
          challengesDir: v.challenges ?? DEFAULT_CHALLENGES,
          workDir: v.work ?? join(tmpdir(), 'agora-runner'),
          allowUnsandboxed: v['allow-unsandboxed'],
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
        const file = await exportJob({ url: server(), token: token(), labels: labels(), outDir: need('out', v.out ?? rest[0]), log });
        out(file ? { jobId: file.job.jobId, dir: resolve(v.out ?? rest[0]!), leaseExpiresAt: file.job.leaseExpiresAt } : { jobId: null });
        if (!file) log('no job waiting for these labels');
        return file ? 0 : 3;
      }
      case 'run-offline': {
        const dir = need('dir (a positional argument)', rest[0]);
        const body = await runOffline({
          dir,
          challengesDir: v.challenges ?? DEFAULT_CHALLENGES,
          allowUnsandboxed: v['allow-unsandboxed'],
          ...(v.bind ? { sandboxBinds: v.bind } : {}),
          log,
        });
        out({ outcome: body.outcome, reason: body.reason ?? null });
        return 0;
      }
      case 'upload': {
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
