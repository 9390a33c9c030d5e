// The environment fingerprint every result carries: which runner, which CPU or GPU, which
// driver and library versions, which harness version, which sandbox. Results from different
// hardware are never silently compared; see docs/decisions/0062-environment-fingerprint.md.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { RunnerEnvironment } from '@agora/core';

const cut = (s: string, n = 200) => (s.length > n ? s.slice(0, n) : s);

function run(cmd: string, args: string[], timeoutMs = 5000): string | null {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function cpuModel(): string {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const m = /^(?:model name|Hardware|Processor|cpu model)\s*:\s*(.+)$/m.exec(info);
    if (m?.[1]) return cut(m[1].trim());
  } catch {}
  return cut(os.cpus()[0]?.model?.trim() || os.arch());
}

export function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m?.[1]) return cut(`${m[1]} (${os.type()} ${os.release()} ${os.arch()})`);
  } catch {}
  return cut(`${os.type()} ${os.release()} ${os.arch()}`);
}

export interface GpuInfo {
  gpu: string;
  gpuCount: number;
  driver: string;
  maxSmClockMhz?: string;
}

/** The GPUs nvidia-smi sees, or null where there is no NVIDIA GPU (or no nvidia-smi). */
export function gpuInfo(nvidiaSmi = process.env.AGORA_NVIDIA_SMI ?? 'nvidia-smi'): GpuInfo | null {
  const out = run(nvidiaSmi, ['--query-gpu=name,driver_version,clocks.max.sm', '--format=csv,noheader']);
  if (!out) return null;
  const rows = out.split('\n').map((l) => l.split(',').map((x) => x.trim())).filter((r) => r[0]);
  if (!rows.length) return null;
  const [name, driver, clock] = rows[0]!;
  return { gpu: cut(name!), gpuCount: rows.length, driver: cut(driver ?? 'unknown'), ...(clock ? { maxSmClockMhz: cut(clock, 40) } : {}) };
}

/** python and torch (with its CUDA) versions, for GPU challenges whose harness is Python. */
export function pythonLibraries(python = process.env.AGORA_PYTHON ?? 'python3'): Record<string, string> {
  const libs: Record<string, string> = {};
  const v = run(python, ['-c', 'import sys; print(sys.version.split()[0])']);
  if (v) libs.python = cut(v, 200);
  const t = run(python, ['-c', 'import torch; print(torch.__version__, torch.version.cuda or "", sep="|")'], 30_000);
  if (t) {
    const [torch, cuda] = t.split('|');
    if (torch) libs.torch = cut(torch);
    if (cuda) libs.cuda = cut(cuda);
  }
  return libs;
}

export interface HostFingerprint {
  hostname: string;
  os: string;
  cpu: string;
  cpuCount: number;
  memoryMb: number;
  node: string;
  gpu: GpuInfo | null;
}

/** What does not change while the runner lives: probed once at start. */
export function hostFingerprint(): HostFingerprint {
  return {
    hostname: cut(os.hostname(), 255),
    os: osName(),
    cpu: cpuModel(),
    cpuCount: os.availableParallelism(),
    memoryMb: Math.round(os.totalmem() / 1048576),
    node: process.versions.node,
    gpu: gpuInfo(),
  };
}

let pythonCache: Record<string, string> | null = null;

/** The fingerprint of one job: the host, plus the harness version, the sandbox and (GPU) python libraries. */
export function jobEnvironment(o: {
  host: HostFingerprint;
  runnerId?: number | undefined;
  harnessVersion?: string;
  sandbox: string;
  gpuChallenge?: boolean;
}): RunnerEnvironment {
  const libraries: Record<string, string> = { node: o.host.node };
  if (o.gpuChallenge) Object.assign(libraries, (pythonCache ??= pythonLibraries()));
  if (o.host.gpu?.maxSmClockMhz) libraries['gpu.clocks.max.sm'] = o.host.gpu.maxSmClockMhz;
  return {
    ...(o.runnerId !== undefined ? { runnerId: o.runnerId } : {}),
    hostname: o.host.hostname,
    os: o.host.os,
    cpu: o.host.cpu,
    cpuCount: o.host.cpuCount,
    memoryMb: o.host.memoryMb,
    gpu: o.host.gpu?.gpu ?? null,
    ...(o.host.gpu ? { gpuCount: o.host.gpu.gpuCount } : {}),
    driver: o.host.gpu?.driver ?? null,
    libraries,
    ...(o.harnessVersion !== undefined ? { harnessVersion: cut(o.harnessVersion, 100) } : {}),
    sandbox: o.sandbox,
  };
}

/** The runner id is the number in its token `agora_runner_<id>_<secret>`. */
export function runnerIdFromToken(token: string): number | undefined {
  const m = /^agora_runner_(\d+)_/.exec(token);
  return m ? Number(m[1]) : undefined;
}
