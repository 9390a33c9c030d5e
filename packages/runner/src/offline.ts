// The offline flow, for GPU hosts cut off from the server (docs/decisions/0063-offline-flow.md):
//
//   exportJob    (online host)  claims one job with a long lease: DIR/job.json + DIR/bundle.tar.gz (+ artifacts/)
//   runOffline   (GPU host)     runs it with no network: DIR/result.json (the upload body) + DIR/log.jsonl
//   uploadOffline(online host)  posts the logs, then the result, with the lease token from job.json
//
// The result lands exactly like an online one: same executeJob, same body, same exactly-once rule.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ClaimedJob, ResultBody, type RunnerEnvironment } from '@agora/core';
import { AgoraApiError } from '@agora/sdk';
import { runnerClient, uploadResult, type ResultUpload, type UploadOutcome } from './api.ts';
import { hostFingerprint, runnerIdFromToken } from './environment.ts';
import { executeJob } from './job.ts';
import { runnerBytecode } from './python-bytecode.ts';
import { batches, LogSink, type LogLineOut } from './logs.ts';
import { fetchJobFiles } from './runner.ts';
import { probeSandboxSync, type SandboxProbe } from './sandbox/index.ts';
import { removeTree } from './remove-tree.ts';

export const OFFLINE_FORMAT = 'agora-offline-job/1';

/** run-offline's default compile cache: one per user of the GPU host, kept across runs. */
export function defaultOfflineCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache'), 'agora-runner');
}

export interface OfflineJobFile {
  format: typeof OFFLINE_FORMAT;
  server: string;
  runnerId: number | undefined;
  exportedAt: string;
  job: ClaimedJob;
}

/** Claims one job with a long lease and writes it to `outDir`; null when the queue has nothing for these labels. */
export async function exportJob(o: { url: string; token: string; labels: string[]; outDir: string; log?: (line: string) => void }): Promise<OfflineJobFile | null> {
  const outDir = resolve(o.outDir);
  if (existsSync(join(outDir, 'job.json'))) throw new Error(`${outDir} already holds an exported job (job.json); use another folder`);
  const client = runnerClient(o.url, o.token);
  const claimed = await client.call('claimJob', { body: { labels: o.labels, offline: true } });
  const job = claimed.job;
  if (!job) return null;
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  try {
    await fetchJobFiles(client, job, outDir);
  } catch (e) {
    // The job cannot travel: give it back now (errored, retried elsewhere) instead of holding a long lease.
    await uploadResult(
      client,
      job.jobId,
      { leaseToken: job.leaseToken, outcome: 'errored', reason: `offline export failed: ${(e as Error).message}`.slice(0, 4000), environment: { cpu: 'unknown (offline export)', runnerId: runnerIdFromToken(o.token) } },
      { attempts: 2 },
    );
    throw e;
  }
  const file: OfflineJobFile = { format: OFFLINE_FORMAT, server: o.url, runnerId: runnerIdFromToken(o.token), exportedAt: new Date().toISOString(), job };
  writeFileSync(join(outDir, 'job.json'), JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  o.log?.(`exported job ${job.jobId} (${job.challengeId}, split ${job.split}) to ${outDir}; its lease runs until ${job.leaseExpiresAt}`);
  return file;
}

export function readJobFile(dir: string): OfflineJobFile {
  const path = join(resolve(dir), 'job.json');
  if (!existsSync(path)) throw new Error(`${path}: no such file; export a job first (agora runner export --out DIR)`);
  const raw = JSON.parse(readFileSync(path, 'utf8')) as Partial<OfflineJobFile>;
  if (raw.format !== OFFLINE_FORMAT) throw new Error(`${path}: not an exported Agora job (format ${JSON.stringify(raw.format)})`);
  const job = ClaimedJob.parse(raw.job);
  return { format: OFFLINE_FORMAT, server: String(raw.server ?? ''), runnerId: typeof raw.runnerId === 'number' ? raw.runnerId : undefined, exportedAt: String(raw.exportedAt ?? ''), job };
}

/**
 * Runs an exported job with no network; writes DIR/result.json (the exact upload body) and
 * DIR/log.jsonl. Returns the body. Refuses to run a folder that already has a result.
 */
export async function runOffline(o: {
  dir: string;
  challengesDir: string;
  allowUnsandboxed?: boolean;
  sandboxBinds?: string[];
  /** The compile cache kept between runs of the same submission (docs/decisions/0071); off when unset. */
  cacheDir?: string;
  /** Its cap in MiB (default 16384). */
  cacheMaxMb?: number;
  /**
   * A Python interpreter whose site-packages are compiled into the shared bytecode tree under
   * `<cacheDir, else defaultOfflineCacheDir()>/python-bytecode/` (at each run; its stamp makes a run
   * with nothing new cheap), bound read-only at /pycache
   * (python-bytecode.ts, docs/decisions/0071); off when unset.
   */
  pythonBytecode?: string;
  log?: (line: string) => void;
  sandboxProbe?: SandboxProbe;
}): Promise<ResultUpload> {
  const dir = resolve(o.dir);
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { job, runnerId } = readJobFile(dir);
  if (existsSync(join(dir, 'result.json'))) throw new Error(`${dir}/result.json exists: this job was already run; upload it (agora runner upload ${dir})`);
  const work = join(dir, 'work');
  removeTree(work);
  mkdirSync(work, { recursive: true, mode: 0o700 });
  rmSync(join(dir, 'log.jsonl'), { force: true });
  const cacheDir = o.cacheDir !== undefined ? resolve(o.cacheDir) : undefined;
  if (cacheDir !== undefined) mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const pythonBytecodeDir = runnerBytecode(o.pythonBytecode, cacheDir ?? defaultOfflineCacheDir(), log);
  const logs = new LogSink({ file: join(dir, 'log.jsonl') });
  logs.line('runner', `[runner] offline run of job ${job.jobId} (exported ${job.leaseExpiresAt ? `with a lease until ${job.leaseExpiresAt}` : ''})`);
  const report = await executeJob({
    job,
    jobDir: work,
    bundleFile: join(dir, 'bundle.tar.gz'),
    artifactsDir: join(dir, 'artifacts'),
    challengesDir: o.challengesDir,
    host: hostFingerprint(),
    runnerId,
    sandbox: o.sandboxProbe ?? probeSandboxSync(),
    allowUnsandboxed: o.allowUnsandboxed ?? false,
    ...(o.sandboxBinds ? { sandboxBinds: o.sandboxBinds } : {}),
    ...(cacheDir !== undefined ? { cacheRoot: cacheDir } : {}),
    ...(o.cacheMaxMb !== undefined ? { cacheMaxMb: o.cacheMaxMb } : {}),
    ...(pythonBytecodeDir !== undefined ? { pythonBytecodeDir } : {}),
    logs,
    log,
  });
  await logs.close();
  const environment: RunnerEnvironment = { ...report.environment, libraries: { ...report.environment.libraries, 'agora.offline': 'true' } };
  const body: ResultUpload = {
    leaseToken: job.leaseToken,
    outcome: report.outcome,
    ...(report.result ? { result: report.result } : {}),
    ...(report.reason ? { reason: report.reason } : {}),
    environment,
  };
  // Written aside and renamed: a result.json is always whole.
  writeFileSync(join(dir, 'result.json.tmp'), JSON.stringify(body, null, 1) + '\n', { mode: 0o600 });
  renameSync(join(dir, 'result.json.tmp'), join(dir, 'result.json'));
  removeTree(work);
  log(`job ${job.jobId}: ${report.outcome}${report.reason ? ` (${report.reason.split('\n')[0]})` : ''}; result in ${dir}/result.json`);
  return body;
}

function readLogFile(file: string): LogLineOut[] {
  if (!existsSync(file)) return [];
  const lines: LogLineOut[] = [];
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (!raw) continue;
    try {
      const l = JSON.parse(raw) as LogLineOut;
      if (['harness', 'stdout', 'stderr', 'runner'].includes(l.stream) && typeof l.text === 'string') lines.push({ stream: l.stream, text: l.text.slice(0, 16_384) });
    } catch {}
  }
  return lines;
}

/**
 * Posts an offline result: the logs first (best effort), then the result once. The marker file
 * DIR/uploaded.json records what the server answered, so a second upload is refused locally.
 */
export async function uploadOffline(o: { url: string; token: string; dir: string; log?: (line: string) => void }): Promise<UploadOutcome> {
  const dir = resolve(o.dir);
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { job } = readJobFile(dir);
  const resultPath = join(dir, 'result.json');
  if (!existsSync(resultPath)) throw new Error(`${resultPath}: no such file; run the job first (agora runner run-offline ${dir})`);
  const parsed = ResultBody.safeParse(JSON.parse(readFileSync(resultPath, 'utf8')));
  if (!parsed.success) throw new Error(`${resultPath}: not a valid result body: ${parsed.error.issues[0]!.path.join('.')}: ${parsed.error.issues[0]!.message}`);
  const body = parsed.data;
  if (body.leaseToken !== job.leaseToken) throw new Error(`${resultPath}: its lease token is not the one job.json was exported with`);
  const client = runnerClient(o.url, o.token);
  for (const batch of batches(readLogFile(join(dir, 'log.jsonl')))) {
    try {
      await client.call('appendJobLogs', { params: { id: job.jobId }, body: { leaseToken: job.leaseToken, lines: batch } });
    } catch (e) {
      log(`job ${job.jobId}: could not upload logs (${(e as Error).message}); uploading the result anyway`);
      if (e instanceof AgoraApiError && e.status === 401) throw e;
      break;
    }
  }
  const up = await uploadResult(client, job.jobId, body, { log });
  writeFileSync(join(dir, 'uploaded.json'), JSON.stringify({ at: new Date().toISOString(), ...up }, null, 1) + '\n');
  if (up.status === 'written') log(`job ${job.jobId}: uploaded; the job is ${up.answer.state}`);
  else log(`job ${job.jobId}: not written (${up.code}: ${up.message})`);
  return up;
}

/** Files an export leaves, for listing in messages and tests. */
export const exportedFiles = (dir: string) => readdirSync(resolve(dir)).sort();
