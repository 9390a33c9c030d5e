// One job, from a downloaded bundle to the body of its result upload. The same code runs online
// (runner.ts) and offline (offline.ts): a result lands the same way whichever path made it.

import { copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { AgoraError, Slug, type ChallengeSpec, type ClaimedJob, type RunnerEnvironment } from '@agora/core';
// The subpath, not '@agora/store': its index opens databases (PGlite, pg), which a runner never needs.
import { loadChallengeDir, type LoadedChallenge } from '@agora/store/challenge-dir';
import { BadBundleError, entryProblem, extractBundle, shown } from './bundle.ts';
import { DEFAULT_CACHE_MAX_MB, openEntry, pruneCache, type CacheUse } from './cache.ts';
import { jobEnvironment, type HostFingerprint } from './environment.ts';
import { harnessPath, startHarness, type HarnessExit, type HarnessRun } from './harness.ts';
import type { LogSink } from './logs.ts';
import { classify, clip, type Classified } from './outcome.ts';
import { sandboxExecPrefix } from './sandbox/exec.ts';
import type { SandboxProbe } from './sandbox/index.ts';
import { removeTree } from './remove-tree.ts';

export const NO_SANDBOX_REASON = 'runner has no sandbox';

export interface JobContext {
  job: ClaimedJob;
  /** Folder of this job: bundle/, scratch/, result.json. */
  jobDir: string;
  bundleFile: string;
  /** Folder holding the large artifacts, named by sha256 (offline: next to job.json). */
  artifactsDir?: string;
  challengesDir: string;
  host: HostFingerprint;
  runnerId?: number | undefined;
  sandbox: SandboxProbe;
  allowUnsandboxed: boolean;
  /** Host paths the submission may read (a Python venv, model weights), bound read-only. */
  sandboxBinds?: string[];
  /**
   * The compile cache's root: the job gets `<root>/<challengeId>/<split>/<submission content>` at
   * /cache, kept for that submission's later jobs on the same split (docs/decisions/0071). Off when
   * unset, and always off for a private split (verification runs cold).
   */
  cacheRoot?: string;
  /** After the job, least recently used entries go until the whole cache takes at most this (default 16384). */
  cacheMaxMb?: number;
  /**
   * The runner's shared Python bytecode tree (python-bytecode.ts), bound read-only at /pycache for
   * every job, private splits included: the runner compiled it from the host's files, so it is
   * trusted and no job can write to it (docs/decisions/0071).
   */
  pythonBytecodeDir?: string;
  logs: LogSink;
  /** The runner's own console. */
  log: (line: string) => void;
  /** Called once the harness runs, so cancel and lease loss can kill it. */
  onHarness?: (run: HarnessRun) => void;
}

export type JobReport = Classified & { environment: RunnerEnvironment };

/** Seconds the whole harness may run: every repeat at the wall limit, plus startup margin. */
export function harnessWallSeconds(limits: { wall_seconds: number }, repeats: number): number {
  const work = limits.wall_seconds * Math.max(1, repeats);
  return work + Math.min(60, work);
}

/** The challenge folder for a job, validated; an AgoraError says what is wrong. */
export function locateChallenge(challengesDir: string, challengeId: string): LoadedChallenge {
  if (!Slug.safeParse(challengeId).success) throw new AgoraError('unprocessable', `the job names an invalid challenge id ${JSON.stringify(challengeId.slice(0, 80))}`);
  const dir = join(challengesDir, challengeId);
  if (!existsSync(join(dir, 'challenge.yaml'))) {
    throw new AgoraError('not_found', `this runner has no folder for challenge "${challengeId}" (looked for ${dir}/challenge.yaml; start it with --challenges DIR)`);
  }
  const loaded = loadChallengeDir(dir);
  if (loaded.spec.id !== challengeId) throw new AgoraError('unprocessable', `${dir}/challenge.yaml has id "${loaded.spec.id}", not "${challengeId}"`);
  return loaded;
}

/** The runner's own variables; a challenge's (AGORA_LLM_DECODE_MODEL, ...) pass through. */
const RUNNER_VARS = new Set(['AGORA_URL', 'AGORA_RUNNER_TOKEN', 'AGORA_API_KEY', 'AGORA_KEY', 'AGORA_PROFILE', 'AGORA_DATABASE_URL']);

/** The harness's environment: the runner's, without its token or anything secret-like, plus the job's variables. */
export function harnessEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (RUNNER_VARS.has(k) || k.startsWith('AGORA_SANDBOX_') || /TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|CREDENTIAL|PRIVATE_KEY|DATABASE_URL/i.test(k)) continue;
    if (typeof v === 'string' && /agora_runner_\d+_/.test(v)) continue;
    env[k] = v;
  }
  return { ...env, PATH: harnessPath(), ...extra };
}

/**
 * Large artifacts (downloaded to artifactsDir/<sha256>) go into the unpacked bundle at the paths the
 * submission declared: hard links (no copy of a checkpoint), or copies across file systems. A path
 * that is unsafe, goes through a link or collides with a bundle file is the submission's fault.
 */
export function placeArtifacts(bundleDir: string, artifactsDir: string | undefined, artifacts: Array<{ sha256: string; path: string }>): void {
  if (!artifacts.length) return;
  if (!artifactsDir) throw new Error('the job has artifacts but none were downloaded');
  const root = realpathSync(bundleDir);
  for (const a of artifacts) {
    const problem = entryProblem('File', a.path, undefined, new Set());
    if (problem) throw new BadBundleError([`artifact ${problem}`]);
    const dest = join(root, a.path);
    mkdirSync(dirname(dest), { recursive: true });
    const parent = realpathSync(dirname(dest));
    if (parent !== root && !parent.startsWith(root + sep)) throw new BadBundleError([`artifact ${shown(a.path)}: placed through a link out of the bundle`]);
    if (existsSync(dest) || lstatExists(dest)) throw new BadBundleError([`artifact ${shown(a.path)}: the bundle already has a file there`]);
    const src = join(artifactsDir, a.sha256);
    try {
      linkSync(src, dest);
    } catch {
      copyFileSync(src, dest);
    }
  }
}

const lstatExists = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

const isGpu = (spec: { hardware: string[] }) => spec.hardware.includes('gpu');

export async function executeJob(ctx: JobContext): Promise<JobReport> {
  const { job, logs } = ctx;
  const serverSpec = job.challenge as Partial<ChallengeSpec>;
  let compileCache: NonNullable<RunnerEnvironment['compile_cache']> = 'off';
  const env = (harnessVersion: string | undefined, hardware: string[]): RunnerEnvironment => ({
    ...jobEnvironment({
      host: ctx.host,
      runnerId: ctx.runnerId,
      sandbox: ctx.sandbox.available ? `bubblewrap ${ctx.sandbox.version ?? ''}`.trim() : ctx.allowUnsandboxed ? 'none (unsandboxed opt-out)' : 'none',
      gpuChallenge: isGpu({ hardware }),
      ...(harnessVersion !== undefined ? { harnessVersion } : {}),
    }),
    compile_cache: compileCache,
  });
  const note = (text: string) => {
    logs.line('runner', `[runner] ${text}`);
  };
  const fail = (outcome: Classified['outcome'], reason: string, spec?: ChallengeSpec): JobReport => {
    note(`${outcome}: ${reason}`);
    return { outcome, reason: clip(reason), environment: env(spec?.harness.version ?? serverSpec.harness?.version, spec?.hardware ?? serverSpec.hardware ?? []) };
  };

  if (!ctx.sandbox.available) {
    if (!ctx.allowUnsandboxed) return fail('errored', `${NO_SANDBOX_REASON}: ${ctx.sandbox.reason ?? 'bubblewrap is unavailable'}; it refuses untrusted submissions`);
    const warning = `WARNING: this runner has NO SANDBOX (${ctx.sandbox.reason ?? 'bubblewrap unavailable'}) and was started with the unsandboxed opt-out: the submission runs without isolation`;
    note(warning);
    ctx.log(`!!! job ${job.jobId}: ${warning}`);
  }

  let challenge: LoadedChallenge;
  try {
    challenge = locateChallenge(ctx.challengesDir, job.challengeId);
  } catch (e) {
    return fail('errored', (e as Error).message);
  }
  const spec = challenge.spec;
  const wanted = serverSpec.harness?.version;
  if (wanted !== undefined && wanted !== spec.harness.version) {
    return fail('errored', `this runner's folder for ${spec.id} has harness version ${spec.harness.version}, the collaboration's is ${wanted}; update ${challenge.dir}`, spec);
  }

  const bundleDir = join(ctx.jobDir, 'bundle');
  const scratchDir = join(ctx.jobDir, 'scratch');
  const outFile = join(ctx.jobDir, 'result.json');
  removeTree(scratchDir);
  rmSync(outFile, { force: true });
  mkdirSync(scratchDir, { recursive: true, mode: 0o700 });
  try {
    const n = await extractBundle(ctx.bundleFile, bundleDir, { maxBytes: spec.submission.max_bytes, maxFiles: spec.submission.max_files });
    note(`bundle unpacked: ${n.files} entries, ${n.bytes} bytes`);
  } catch (e) {
    if (e instanceof BadBundleError) return fail('failed', e.message, spec);
    return fail('errored', `could not unpack the bundle: ${(e as Error).message}`, spec);
  }

  try {
    placeArtifacts(bundleDir, ctx.artifactsDir, job.artifacts);
  } catch (e) {
    if (e instanceof BadBundleError) return fail('failed', e.message, spec);
    return fail('errored', `could not place the submission's artifacts: ${(e as Error).message}`, spec);
  }

  const l = job.limits;
  const wallSeconds = harnessWallSeconds(l, job.repeats);
  const cache = openCache(ctx, wallSeconds, spec.splits[job.split]?.visibility);
  note(cache.line);
  const held = cache.use.state === 'cold' || cache.use.state === 'warm' ? cache.use : undefined;
  if (held) compileCache = held.state;
  const binds = [...(ctx.sandboxBinds ?? [])];
  let exit: HarnessExit;
  try {
    // Reached only with a sandbox, or without one under the explicit opt-out.
    const prefix = sandboxExecPrefix({
      bundleDir,
      scratchDir,
      limits: { wallSeconds: l.wall_seconds, cpuSeconds: l.cpu_seconds, memoryMb: l.memory_mb, processes: l.processes },
      readOnlyBinds: binds,
      devices: isGpu(spec) ? ['/dev/nvidia*'] : [],
      env: {},
      ...(held ? { cacheDir: held.dir } : {}),
      ...(ctx.pythonBytecodeDir !== undefined ? { pythonBytecodeDir: ctx.pythonBytecodeDir } : {}),
      allowUnsandboxed: !ctx.sandbox.available && ctx.allowUnsandboxed,
    });
    note(`running harness ${JSON.stringify(spec.harness.command)} v${spec.harness.version} ${job.smoke ? 'for a smoke run (--smoke: one untimed request)' : `for ${job.repeats} repeat(s)`}, split ${job.split}, wall limit ${wallSeconds} s`);
    const run = startHarness({
      command: spec.harness.command,
      cwd: challenge.dir,
      bundleDir,
      split: job.split,
      outFile,
      ...(job.repeats !== spec.repeats && !job.smoke ? { repeats: job.repeats } : {}),
      ...(job.smoke ? { smoke: true } : {}),
      wallSeconds,
      env: harnessEnv({
        AGORA_SANDBOX_EXEC: JSON.stringify(prefix),
        AGORA_SANDBOX_KIND: ctx.sandbox.available ? 'bubblewrap' : 'none',
        AGORA_JOB_ID: String(job.jobId),
        AGORA_SPLIT: job.split,
        AGORA_REPEATS: String(job.repeats),
      }),
      onLine: (stream, text) => logs.line(stream, text),
    });
    ctx.onHarness?.(run);
    exit = await run.done;
  } finally {
    held?.release();
    if (ctx.cacheRoot) pruneAfterJob(ctx);
  }
  const c = classify(exit, outFile, job.split);
  note(`harness ${exit.signal ? `killed by ${exit.signal}` : `exited ${exit.exitCode}`} after ${(exit.wallMs / 1000).toFixed(1)} s: ${c.outcome}${c.reason ? ` (${c.reason.split('\n')[0]})` : ''}`);
  removeTree(scratchDir);
  return { ...c, environment: env(spec.harness.version, spec.hardware) };
}

const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

/** The log line of a job on a private split: verification runs cold (docs/decisions/0071, 0072). */
export const PRIVATE_SPLIT_CACHE_LINE = 'compile cache: off (private split: verification runs cold, so nothing persists between verification jobs)';

/**
 * The job's compile-cache entry (locked until released) and the line the job's log gets about it.
 * Only public splits get one: a private split (verification) always runs without, so a submission can
 * carry nothing (compiled kernels, remembered answers) from one verification job to the next; a split
 * the challenge does not declare counts as private.
 */
function openCache(ctx: JobContext, wallSeconds: number, visibility: 'public' | 'private' | undefined): { use: CacheUse; line: string } {
  if (!ctx.cacheRoot) return { use: { state: 'off', reason: 'no cache' }, line: 'compile cache: off' };
  if (visibility !== 'public') return { use: { state: 'off', reason: 'private split' }, line: PRIVATE_SPLIT_CACHE_LINE };
  let use: CacheUse;
  try {
    // The lock outlives the harness's own limit by its kill and cleanup margin at most.
    use = openEntry(ctx.cacheRoot, ctx.job, (wallSeconds + 60) * 1000);
  } catch (e) {
    use = { state: 'off', reason: `could not open it: ${(e as Error).message}` };
  }
  switch (use.state) {
    case 'off':
      return { use, line: `compile cache: off (${use.reason})` };
    case 'busy':
      return { use, line: `compile cache: busy, running without (${use.key}: ${use.reason})` };
    case 'warm':
      return { use, line: `compile cache: warm (${mb(use.bytes)} MB) ${use.key}` };
    case 'cold':
      return { use, line: `compile cache: cold (${use.fresh ? 'new entry' : 'empty entry'}) ${use.key}` };
  }
}

/** Keeps the cache under its cap; what went is told on the runner's console, not in the job's log (it names other submissions' entries). */
function pruneAfterJob(ctx: JobContext): void {
  const maxMb = ctx.cacheMaxMb ?? DEFAULT_CACHE_MAX_MB;
  try {
    const p = pruneCache(ctx.cacheRoot!, maxMb * 1048576);
    if (p.removed.length) ctx.log(`compile cache: removed ${p.removed.length} least recently used entr${p.removed.length === 1 ? 'y' : 'ies'} (${mb(p.removedBytes)} MB: ${p.removed.join(', ')}); ${mb(p.totalBytes)} MB of ${maxMb} MB left`);
    if (p.skipped.length && p.totalBytes > maxMb * 1048576) ctx.log(`compile cache: over its ${maxMb} MB cap (${mb(p.totalBytes)} MB) with entries in use: ${p.skipped.join(', ')}`);
  } catch (e) {
    ctx.log(`compile cache: prune of ${ctx.cacheRoot} failed: ${(e as Error).message}`);
  }
}
