// The sandbox's public types: what a caller asks for (SandboxSpec, SandboxLimits), what it gets
// back (SandboxedProcess, SandboxOutcome) and what the probe says about this host.

import type { ChildProcessWithoutNullStreams } from 'node:child_process';

export interface SandboxLimits {
  /** Wall-clock seconds before the whole tree is killed. */
  wallSeconds: number;
  /** CPU seconds (user + system, summed over the whole tree). */
  cpuSeconds: number;
  /** Memory of the whole tree in MiB (cgroup charge, or summed RSS when polling). */
  memoryMb: number;
  /** Tasks (processes and threads) the submission may have at once. */
  processes: number;
}

export interface SandboxSpec {
  /** Host directory with the submission; appears read-only at /submission (the cwd). */
  bundleDir: string;
  /**
   * Host directory for scratch when running unsandboxed (the opt-out). Sandboxed, /scratch (HOME,
   * TMPDIR, /tmp) is a private tmpfs of scratchMb instead, nosuid and nodev, gone with the run.
   */
  scratchDir: string;
  /** Size of the sandbox's /scratch tmpfs in MiB (default: limits.memoryMb); a write past it fails with ENOSPC. */
  scratchMb?: number;
  /** argv; argv[0] is looked up on the sandbox PATH (Node's bin dir, /usr/local/bin, /usr/bin, /bin). */
  command: string[];
  /** Extra environment; the host environment is never inherited. */
  env?: Record<string, string>;
  limits: SandboxLimits;
  /** Host paths bound read-only at the same path inside (a venv, a dataset). */
  readOnlyBinds?: string[];
  /** Device nodes passed through, e.g. ['/dev/nvidia*'] for GPU jobs (globs allowed in the last component). */
  devices?: string[];
  /**
   * Loopback ports bridged from the host into the sandbox: for each P, the host's
   * 127.0.0.1:P reaches a server the submission runs on 127.0.0.1:P inside its own
   * network namespace (the submission still has no network). Fails before starting
   * the submission if P is taken on the host. Ignored when running unsandboxed
   * (the submission then binds the host port itself). See bridge.ts.
   */
  forwardPorts?: number[];
  /**
   * Host directory kept between runs by the caller (the runner's per-submission compile cache);
   * appears read-write at /cache, and AGORA_CACHE_DIR, XDG_CACHE_HOME, TORCHINDUCTOR_CACHE_DIR,
   * TRITON_CACHE_DIR, CUDA_CACHE_PATH and PYTHONPYCACHEPREFIX point into it (`env` may override them). Unsandboxed,
   * the same variables point at the host directory. See docs/decisions/0071.
   */
  cacheDir?: string;
  /**
   * The runner's shared Python bytecode tree (compiled by the runner itself from the host's read-only
   * site-packages, never written by a submission): bound read-only at /pycache, with
   * PYTHONPYCACHEPREFIX=/pycache, which wins over the cacheDir's /cache/python (`env` may still
   * override it). Unsandboxed it names the host directory. See docs/decisions/0071.
   */
  pythonBytecodeDir?: string;
}

export type KillCause = 'wall_time' | 'cpu_time' | 'memory' | 'processes' | 'requested';

export interface SandboxOutcome {
  /** Exit status. Under bubblewrap a command killed by signal N exits 128+N (and `signal` names N). */
  exitCode: number | null;
  signal: string | null;
  killed: null | { by: KillCause; reason: string; atMs: number };
  wallMs: number;
  cpuMs?: number;
  peakRssMb?: number;
  /** Most tasks (processes + threads) seen at once by the limit poller. */
  peakProcesses?: number;
  sandbox: 'bubblewrap' | 'none';
  /** How the limits were enforced on this host. */
  enforcement: { memory: 'cgroup' | 'poll'; processes: 'cgroup' | 'rlimit' | 'poll'; cpu: 'cgroup' | 'poll' };
  /** Plain-language remarks (e.g. a fork that failed at the process limit). */
  notes: string[];
}

export interface SandboxProbe {
  available: boolean;
  kind: 'bubblewrap' | 'none';
  reason?: string;
  version?: string;
  bwrapPath?: string;
}

export interface SpawnSandboxedOptions {
  /** Run without isolation when bubblewrap is unusable (loudly logged). */
  allowUnsandboxed?: boolean;
  /** bwrap binary (default: $AGORA_SANDBOX_BWRAP, else `bwrap` on PATH). */
  bwrapPath?: string;
  /** Where the loud warnings go (default: stderr). */
  log?: (line: string) => void;
  /** Limit-polling interval in ms (default 100). */
  pollMs?: number;
}

export interface SandboxedProcess {
  child: ChildProcessWithoutNullStreams;
  done: Promise<SandboxOutcome>;
  /** Kill the whole tree now; the outcome says killed.by 'requested' with this reason. */
  kill(reason: string): void;
}

export class SandboxUnavailableError extends Error {
  readonly code = 'SANDBOX_UNAVAILABLE';
  readonly reason: string;
  constructor(reason: string) {
    super(
      `refusing to run an untrusted submission without a sandbox: ${reason}. ` +
        'Install bubblewrap (apt-get install bubblewrap) or start the runner with the explicit unsandboxed opt-out.',
    );
    this.name = 'SandboxUnavailableError';
    this.reason = reason;
  }
}

