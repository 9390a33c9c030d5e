// `agora runner`: registers liveness, claims jobs whose labels it satisfies, runs them (job.ts),
// streams their logs, keeps their leases alive, obeys cancels and uploads each result once.
// See docs/decisions/0060-runner-job-loop.md.

import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ClaimedJob, RunnerEnvironment } from '@agora/core';
import { AgoraApiError, type AgoraClient } from '@agora/sdk';
import { download, runnerClient, uploadResult, type ResultUpload } from './api.ts';
import { hostFingerprint, jobEnvironment, runnerIdFromToken, type HostFingerprint } from './environment.ts';
import type { HarnessRun } from './harness.ts';
import { DEFAULT_CACHE_MAX_MB } from './cache.ts';
import { executeJob, type JobReport } from './job.ts';
import { runnerBytecode } from './python-bytecode.ts';
import { LogSink } from './logs.ts';
import { probeSandboxSync, type SandboxProbe } from './sandbox/index.ts';
import { removeTree } from './remove-tree.ts';

export interface RunnerOptions {
  /** Server base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** Runner token agora_runner_<id>_<secret>. */
  token: string;
  /** What this host offers, e.g. ['cpu', 'x86']; a job needs all its challenge's hardware labels. */
  labels: string[];
  /** Folder of challenge folders named by challenge id (harness and private data live here). */
  challengesDir: string;
  /** Where jobs are unpacked and run (workDir/jobs/<id>-<attempt>). */
  workDir: string;
  /** Run submissions without a sandbox where none is available (loudly logged). Default false. */
  allowUnsandboxed?: boolean;
  /** Idle wait between claims when the queue is empty, ms (default 2000). */
  pollMs?: number;
  /** Runner heartbeat interval, ms (default 10000). */
  heartbeatMs?: number;
  /** Jobs at once (default 1). */
  concurrency?: number;
  /** Host paths bound read-only into every sandbox (a Python venv, model weights). */
  sandboxBinds?: string[];
  /**
   * The compile cache kept between jobs of the same submission (docs/decisions/0071), e.g.
   * `<workDir>/cache`; off when unset.
   */
  cacheDir?: string;
  /** The compile cache's cap in MiB, least recently used entries pruned after each job (default 16384). */
  cacheMaxMb?: number;
  /**
   * A Python interpreter (name on PATH or path) whose site-packages the runner compiles once at start
   * into a shared bytecode tree under `<cacheDir, else workDir>/python-bytecode/`, bound read-only at
   * /pycache in every job (python-bytecode.ts, docs/decisions/0071); off when unset.
   */
  pythonBytecode?: string;
  /** Keep job folders after the upload (debugging). Default false. */
  keepJobDirs?: boolean;
  log?: (line: string) => void;
  /**
   * Without a sandbox (and without the opt-out) a runner refuses the job it claims, then waits
   * this long before claiming again, so it does not burn every job's attempts (default 10 min).
   */
  refusalBackoffMs?: number;
  /** Tests: a sandbox probe to use instead of probing this host. */
  sandboxProbe?: SandboxProbe;
}

export interface RunningRunner {
  /** From the token; undefined only for a malformed token (the server then refuses it). */
  runnerId: number | undefined;
  /** Ids of the jobs running now. */
  activeJobs(): number[];
  /** Stop claiming; kill running harnesses and report them errored ("runner stopped"), so they are retried. */
  stop(): Promise<void>;
  /** Resolves when the runner has stopped (stop(), or a revoked token). */
  done: Promise<void>;
}

type AbortKind = 'cancel' | 'lease_lost' | 'stop';

interface ActiveJob {
  job: ClaimedJob;
  abort(kind: AbortKind, reason: string): void;
  finished: Promise<void>;
}

const sandboxLabel = (p: SandboxProbe, allow: boolean) =>
  p.available ? `bubblewrap ${p.version ?? ''}`.trim() : allow ? 'none (unsandboxed opt-out)' : 'none';

export function unsandboxedBanner(reason: string): string {
  const bar = '!'.repeat(78);
  return [
    bar,
    `!!! AGORA RUNNER WITHOUT A SANDBOX: ${reason}.`,
    '!!! Started with the explicit unsandboxed opt-out: submissions run WITHOUT isolation',
    '!!! (network, files and processes of this host are reachable). Only limits by polling apply.',
    bar,
  ].join('\n');
}

export async function startRunner(o: RunnerOptions): Promise<RunningRunner> {
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const client = runnerClient(o.url, o.token);
  const runnerId = runnerIdFromToken(o.token);
  const allow = o.allowUnsandboxed ?? false;
  const pollMs = o.pollMs ?? 2000;
  const heartbeatMs = o.heartbeatMs ?? 10_000;
  const concurrency = Math.max(1, o.concurrency ?? 1);
  const challengesDir = resolve(o.challengesDir);
  const workDir = resolve(o.workDir);
  mkdirSync(join(workDir, 'jobs'), { recursive: true, mode: 0o700 });
  const cacheDir = o.cacheDir !== undefined ? resolve(o.cacheDir) : undefined;
  if (cacheDir !== undefined) mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const sandbox = o.sandboxProbe ?? probeSandboxSync();
  const host = hostFingerprint();
  if (!sandbox.available) {
    if (allow) log(unsandboxedBanner(sandbox.reason ?? 'bubblewrap is unavailable'));
    else log(`agora runner: no sandbox (${sandbox.reason}); every job will be refused as errored "runner has no sandbox". Install bubblewrap, or pass --allow-unsandboxed at your own risk.`);
  }
  const refusing = !sandbox.available && !allow;
  const refusalBackoffMs = o.refusalBackoffMs ?? 600_000;
  const environment = (): RunnerEnvironment => jobEnvironment({ host, runnerId, sandbox: sandboxLabel(sandbox, allow) });

  const active = new Map<number, ActiveJob>();
  let stopping = false;
  const stopCtl = new AbortController();
  const nap = (ms: number) =>
    new Promise<void>((r) => {
      if (stopCtl.signal.aborted) return r();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        stopCtl.signal.removeEventListener('abort', done);
        r();
      }
      stopCtl.signal.addEventListener('abort', done);
    });

  const heartbeat = async () => {
    const res = await client.call('runnerHeartbeat', { body: { labels: o.labels, environment: environment(), activeJobs: [...active.keys()] } });
    for (const id of res.cancel) active.get(id)?.abort('cancel', 'the server asked this runner to stop the job (cancelled, or its lease is gone)');
  };
  // A bad or revoked token fails here, before anything is claimed.
  try {
    await heartbeat();
  } catch (e) {
    if (e instanceof AgoraApiError && e.status < 500) throw e;
    log(`agora runner: the server at ${o.url} is not answering yet (${(e as Error).message}); retrying`);
  }
  log(`agora runner ${runnerId ?? '?'}: labels [${o.labels.join(', ')}], challenges from ${challengesDir}, sandbox ${sandboxLabel(sandbox, allow)}, compile cache ${cacheDir !== undefined ? `${cacheDir} (at most ${o.cacheMaxMb ?? DEFAULT_CACHE_MAX_MB} MB)` : 'off'}`);

  let fatal: Error | null = null;
  const onFatal = (e: unknown) => {
    if (e instanceof AgoraApiError && e.status === 401) {
      fatal = e;
      log(`agora runner: the server refused the token (${e.message}); stopping`);
      void stop();
      return true;
    }
    return false;
  };

  const hbTimer = setInterval(() => {
    heartbeat().catch((e) => {
      if (!onFatal(e)) log(`agora runner: heartbeat failed: ${(e as Error).message}`);
    });
  }, heartbeatMs);
  hbTimer.unref();

  // Before the first claim: jobs get the tree from their first one on. A failure only logs.
  const pythonBytecodeDir = runnerBytecode(o.pythonBytecode, cacheDir ?? workDir, log);

  const jobCtx = { client, host, runnerId, sandbox, allow, challengesDir, workDir, cacheDir, pythonBytecodeDir, log, o };

  const loop = (async () => {
    let backoff = pollMs;
    while (!stopping) {
      if (active.size >= concurrency) {
        await Promise.race([...[...active.values()].map((a) => a.finished), nap(pollMs)]);
        continue;
      }
      let job: ClaimedJob | null;
      try {
        job = (await client.call('claimJob', { body: { labels: o.labels, offline: false } })).job;
        backoff = pollMs;
      } catch (e) {
        if (onFatal(e)) break;
        log(`agora runner: claim failed: ${(e as Error).message}; retrying in ${backoff} ms`);
        await nap(backoff);
        backoff = Math.min(backoff * 2, 60_000);
        continue;
      }
      if (!job) {
        await nap(pollMs);
        continue;
      }
      if (stopping) {
        // Claimed while stopping: hand it back at once rather than let the lease run out.
        await reportStopped(jobCtx, job);
        break;
      }
      const a = runOnlineJob(jobCtx, job, () => active.delete(job.jobId));
      active.set(job.jobId, a);
      if (refusing) {
        await a.finished;
        log(`agora runner: refused job ${job.jobId} (no sandbox); not claiming for ${Math.round(refusalBackoffMs / 1000)} s. Install bubblewrap, or restart with --allow-unsandboxed at your own risk.`);
        await nap(refusalBackoffMs);
      }
    }
  })();

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      stopping = true;
      stopCtl.abort();
      clearInterval(hbTimer);
      for (const a of active.values()) a.abort('stop', 'the runner was stopped while the job ran; it goes back to the queue');
      await loop;
      await Promise.all([...active.values()].map((a) => a.finished));
      log(`agora runner ${runnerId ?? '?'}: stopped${fatal ? ` (${(fatal as Error).message})` : ''}`);
    })();
    return stopped;
  };
  const done = loop.then(async () => {
    await (stopped ?? Promise.resolve());
  });
  return { runnerId, activeJobs: () => [...active.keys()], stop, done };
}

interface JobDeps {
  client: AgoraClient;
  host: HostFingerprint;
  runnerId: number | undefined;
  sandbox: SandboxProbe;
  allow: boolean;
  challengesDir: string;
  workDir: string;
  cacheDir: string | undefined;
  pythonBytecodeDir: string | undefined;
  log: (line: string) => void;
  o: RunnerOptions;
}

async function reportStopped(d: JobDeps, job: ClaimedJob): Promise<void> {
  const body: ResultUpload = {
    leaseToken: job.leaseToken,
    outcome: 'errored',
    reason: 'the runner was stopped before the job started; it goes back to the queue',
    environment: jobEnvironment({ host: d.host, runnerId: d.runnerId, sandbox: sandboxLabel(d.sandbox, d.allow) }),
  };
  await uploadResult(d.client, job.jobId, body, { log: d.log, attempts: 2 });
}

/** Query suffix: `?` or `&` as the path needs. */
const withQuery = (path: string, q: Record<string, string | number>) =>
  `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)])).toString()}`;

/** Bytes a bundle download may take: the unpacked limit plus tar overhead. */
export function bundleDownloadLimit(challenge: Record<string, unknown>): number {
  const sub = (challenge.submission ?? {}) as { max_bytes?: number; max_files?: number };
  return (sub.max_bytes ?? 50 * 1024 ** 2) + (sub.max_files ?? 2000) * 1024 + 1024 ** 2;
}

/** Downloads a job's bundle and its artifacts (dir/artifacts/<sha256>) into `dir`; used online and by the offline export. */
export async function fetchJobFiles(client: AgoraClient, job: ClaimedJob, dir: string): Promise<{ bundleFile: string; artifactsDir: string }> {
  const bundleFile = join(dir, 'bundle.tar.gz');
  await download(client, withQuery(job.bundlePath, { leaseToken: job.leaseToken }), bundleFile, {
    maxBytes: bundleDownloadLimit(job.challenge),
    sha256: job.bundleSha256,
  });
  const artifactsDir = join(dir, 'artifacts');
  if (job.artifacts.length) mkdirSync(artifactsDir, { recursive: true });
  for (const a of job.artifacts) {
    if (!/^[0-9a-f]{64}$/.test(a.sha256)) throw new Error(`the job names an invalid artifact hash ${JSON.stringify(a.sha256.slice(0, 80))}`);
    if (existsSync(join(artifactsDir, a.sha256))) continue; // the same blob at two paths
    const path = client.path('jobArtifact', { sha256: a.sha256 }, { jobId: job.jobId, leaseToken: job.leaseToken }).slice(client.url.length);
    await download(client, path, join(artifactsDir, a.sha256), {
      maxBytes: 64 * 1024 ** 3,
      sha256: a.sha256,
    });
  }
  return { bundleFile, artifactsDir };
}

function runOnlineJob(d: JobDeps, job: ClaimedJob, onDone: () => void): ActiveJob {
  const { client, log } = d;
  const id = job.jobId;
  const jobDir = join(d.workDir, 'jobs', `${id}-${job.attempt}`);
  removeTree(jobDir);
  mkdirSync(jobDir, { recursive: true, mode: 0o700 });
  let aborted: { kind: AbortKind; reason: string } | null = null;
  let harness: HarnessRun | null = null;
  const abort = (kind: AbortKind, reason: string) => {
    if (aborted) return;
    aborted = { kind, reason };
    log(`job ${id}: ${kind === 'lease_lost' ? 'lease lost' : kind === 'cancel' ? 'cancel requested' : 'stopping'}: ${reason}`);
    harness?.kill(reason);
  };
  const leaseLost = (e: unknown) => e instanceof AgoraApiError && e.status === 409 && e.code === 'lease_lost';

  const logs = new LogSink({
    file: join(jobDir, 'log.jsonl'),
    send: async (lines) => {
      try {
        await client.call('appendJobLogs', { params: { id }, body: { leaseToken: job.leaseToken, lines } });
      } catch (e) {
        if (leaseLost(e)) abort('lease_lost', 'the server says the lease is gone');
        // 4xx answers are final: drop the batch rather than resend it forever.
        if (e instanceof AgoraApiError && e.status < 500) return;
        throw e;
      }
    },
  });

  const hbMs = Math.min(20_000, Math.max(500, Math.floor((job.leaseSeconds * 1000) / 3)));
  const hb = setInterval(() => {
    client
      .call('jobHeartbeat', { params: { id }, body: { leaseToken: job.leaseToken } })
      .then((r) => {
        if (r.cancelRequested) abort('cancel', 'the job was cancelled');
      })
      .catch((e) => {
        if (leaseLost(e)) abort('lease_lost', 'the lease expired and the job was re-queued or taken by another runner');
        else log(`job ${id}: lease heartbeat failed: ${(e as Error).message}`);
      });
  }, hbMs);
  hb.unref();

  const finished = (async () => {
    log(`job ${id}: claimed (attempt ${job.attempt}, ${job.collaboration}/${job.challengeId}, submission ${job.submissionId}, split ${job.split})`);
    let report: JobReport;
    try {
      // A runner that will refuse the job (no sandbox) does not fetch it.
      const files = d.sandbox.available || d.allow ? await fetchJobFiles(client, job, jobDir) : { bundleFile: '', artifactsDir: '' };
      report = await executeJob({
        job,
        jobDir,
        bundleFile: files.bundleFile,
        artifactsDir: files.artifactsDir,
        challengesDir: d.challengesDir,
        host: d.host,
        runnerId: d.runnerId,
        sandbox: d.sandbox,
        allowUnsandboxed: d.allow,
        ...(d.o.sandboxBinds ? { sandboxBinds: d.o.sandboxBinds } : {}),
        ...(d.cacheDir !== undefined ? { cacheRoot: d.cacheDir } : {}),
        ...(d.o.cacheMaxMb !== undefined ? { cacheMaxMb: d.o.cacheMaxMb } : {}),
        ...(d.pythonBytecodeDir !== undefined ? { pythonBytecodeDir: d.pythonBytecodeDir } : {}),
        logs,
        log,
        onHarness: (run) => {
          harness = run;
          if (aborted) run.kill(aborted.reason);
        },
      });
    } catch (e) {
      if (leaseLost(e)) abort('lease_lost', 'the server says the lease is gone');
      report = {
        outcome: 'errored',
        reason: `the runner could not prepare the job: ${(e as Error).message}`.slice(0, 4000),
        environment: jobEnvironment({ host: d.host, runnerId: d.runnerId, sandbox: sandboxLabel(d.sandbox, d.allow) }),
      };
      logs.line('runner', `[runner] errored: ${report.reason}`);
    }
    clearInterval(hb);
    const stoppedBy = aborted as { kind: AbortKind; reason: string } | null;
    if (stoppedBy?.kind === 'lease_lost') {
      await logs.close();
      log(`job ${id}: result dropped: the lease is gone, another runner's result will stand`);
      return;
    }
    if (stoppedBy) {
      logs.line('runner', `[runner] stopped: ${stoppedBy.reason}`);
      report = { outcome: 'errored', reason: stoppedBy.reason, environment: report.environment };
    }
    await logs.close();
    const body: ResultUpload = {
      leaseToken: job.leaseToken,
      outcome: report.outcome,
      ...(report.result ? { result: report.result } : {}),
      ...(report.reason ? { reason: report.reason } : {}),
      environment: report.environment,
    };
    const up = await uploadResult(client, id, body, { log });
    if (up.status === 'written') log(`job ${id}: ${report.outcome} -> ${up.answer.state}${up.answer.requeued ? ' (re-queued)' : ''}`);
    else if (up.status === 'conflict' && up.afterRetry && up.code === 'result_exists')
      log(`job ${id}: result stands (result_exists after a retry: an earlier try was written, its answer lost)`);
    else if (up.status === 'conflict') log(`job ${id}: result not written, another stands (${up.code}: ${up.message})`);
    else log(`job ${id}: result refused (${up.code}: ${up.message})`);
  })()
    .catch((e) => log(`job ${id}: runner error: ${(e as Error).stack ?? e}`))
    .finally(() => {
      clearInterval(hb);
      if (!d.o.keepJobDirs) removeTree(jobDir);
      onDone();
    });
  return { job, abort, finished };
}
