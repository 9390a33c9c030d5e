// The runner's compile cache (docs/decisions/0071-runner-compile-cache.md): one directory per
// challenge, split and submission content, kept between jobs so that a submission's second job
// finds the kernels (torch.compile / Inductor, Triton, CUDA) its first one compiled.
//
//   <root>/<challengeId>/<split>/<32 hex>          the entry, bound read-write at /cache in the sandbox
//   <root>/<challengeId>/<split>/<32 hex>.lock/    held while a job uses it (mkdir is the atomic step)
//
// The runner only ever deletes paths of exactly that shape, with lstat and rmSync (neither follows a
// symbolic link the submission may have left in its entry), and only entries whose lock it holds.

import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Slug, type ClaimedJob } from '@agora/core';
import { removeTree } from './remove-tree.ts';

export const DEFAULT_CACHE_MAX_MB = 16384;

const ENTRY = /^[0-9a-f]{32}$/;
const LOCK = /^[0-9a-f]{32}\.lock$/;
const ASIDE = /^[0-9a-f]{32}\.lock\.stale-[0-9a-z-]+$/;
/** How long a pruning runner may hold an entry's lock before another may take it over. */
const PRUNE_LOCK_MS = 10 * 60_000;

/**
 * 32 hex naming a submission's content: the bundle's sha256 (canonical, so equal files give equal
 * bytes), mixed with the large artifacts placed into it when it has any (they are not in the bundle).
 * Null when the claim's hashes are not hex (never a path component then).
 */
export function submissionCacheId(job: Pick<ClaimedJob, 'bundleSha256' | 'artifacts'>): string | null {
  if (!/^[0-9a-f]{64}$/.test(job.bundleSha256)) return null;
  if (!job.artifacts.length) return job.bundleSha256.slice(0, 32);
  const lines = job.artifacts.map((a) => `${a.sha256} ${a.path}\n`).sort();
  if (job.artifacts.some((a) => !/^[0-9a-f]{64}$/.test(a.sha256))) return null;
  return createHash('sha256').update(`agora-compile-cache-v1\n${job.bundleSha256}\n${lines.join('')}`).digest('hex').slice(0, 32);
}

/** `<challengeId>/<split>/<32 hex>`, or null (with why) when the job cannot have an entry. */
export function cacheKey(job: Pick<ClaimedJob, 'challengeId' | 'split' | 'bundleSha256' | 'artifacts'>): { key: string } | { problem: string } {
  if (!Slug.safeParse(job.challengeId).success) return { problem: `the challenge id ${JSON.stringify(job.challengeId.slice(0, 80))} is not a slug` };
  if (!Slug.safeParse(job.split).success) return { problem: `the split ${JSON.stringify(job.split.slice(0, 80))} is not a slug` };
  const id = submissionCacheId(job);
  if (!id) return { problem: 'the job names a bundle or artifact hash that is not sha256 hex' };
  return { key: `${job.challengeId}/${job.split}/${id}` };
}

/** Bytes on disk under `path` (du: allocated blocks of everything, links not followed), 0 if absent. */
export function diskBytes(path: string): number {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 0;
  }
  let total = st.blocks !== undefined ? st.blocks * 512 : st.size;
  if (st.isDirectory()) {
    let names: string[] = [];
    try {
      names = readdirSync(path);
    } catch {}
    for (const n of names) total += diskBytes(join(path, n));
  }
  return total;
}

/** Whether an entry holds anything. */
function hasContent(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------
// locks

interface LockOwner {
  token: string;
  pid: number;
  host: string;
  what: string;
  acquiredAt: string;
  /** Epoch ms after which another runner may take the lock over. */
  expiresAt: number;
}

function readOwner(lock: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(join(lock, 'owner.json'), 'utf8')) as LockOwner;
    return typeof o.expiresAt === 'number' && typeof o.token === 'string' ? o : null;
  } catch {
    return null;
  }
}

/** A lock is stale past the expiry its owner wrote; without a readable owner, `fallbackMs` after its mtime. */
function isStale(lock: string, fallbackMs: number, now = Date.now()): boolean {
  const owner = readOwner(lock);
  if (owner) return now > owner.expiresAt;
  try {
    return now > lstatSync(lock).mtimeMs + fallbackMs;
  } catch {
    return true;
  }
}

export interface HeldLock {
  path: string;
  token: string;
  /** Removes the lock if it is still this holder's (a stale one may have been taken over). */
  release(): void;
}

/**
 * Takes `<entry>.lock` (mkdir, atomic), or a stale one over (renamed aside first, so two runners
 * cannot both remove it); null when another holder has it.
 */
export function lockEntry(entry: string, holdMs: number, what: string): HeldLock | null {
  const lock = `${entry}.lock`;
  const token = randomBytes(12).toString('hex');
  const take = (): HeldLock | null => {
    try {
      mkdirSync(lock, { mode: 0o700 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return null;
      throw e;
    }
    const owner: LockOwner = { token, pid: process.pid, host: hostname(), what, acquiredAt: new Date().toISOString(), expiresAt: Date.now() + holdMs };
    writeFileSync(join(lock, 'owner.json'), JSON.stringify(owner) + '\n', { mode: 0o600 });
    return {
      path: lock,
      token,
      release() {
        if (readOwner(lock)?.token === token) rmSync(lock, { recursive: true, force: true });
      },
    };
  };
  const got = take();
  if (got) return got;
  if (!isStale(lock, holdMs)) return null;
  const aside = `${lock}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lock, aside);
  } catch {
    return null; // another runner moved it first
  }
  if (!isStale(aside, holdMs)) {
    // Between our look and the rename another runner took the lock: give it back.
    try {
      renameSync(aside, lock);
    } catch {}
    return null;
  }
  rmSync(aside, { recursive: true, force: true });
  return take();
}

// ---------------------------------------------------------------------------
// entries

export type CacheUse =
  | { state: 'off'; reason: string }
  | { state: 'busy'; key: string; reason: string }
  | { state: 'cold' | 'warm'; key: string; dir: string; bytes: number; fresh: boolean; release(): void };

/**
 * The job's entry under `root`, created (0700) if new, locked and touched (its mtime is its last
 * use, for the LRU prune). `holdMs`: how long the job may run (the lock is stale after it).
 */
export function openEntry(root: string, job: Pick<ClaimedJob, 'jobId' | 'challengeId' | 'split' | 'bundleSha256' | 'artifacts'>, holdMs: number): CacheUse {
  const k = cacheKey(job);
  if ('problem' in k) return { state: 'off', reason: k.problem };
  const dir = join(root, ...k.key.split('/'));
  mkdirSync(join(dir, '..'), { recursive: true, mode: 0o700 });
  const lock = lockEntry(dir, holdMs, `job ${job.jobId}`);
  if (!lock) {
    const owner = readOwner(`${dir}.lock`);
    return { state: 'busy', key: k.key, reason: `the entry is in use${owner ? ` by ${owner.what} (pid ${owner.pid} on ${owner.host}) until ${new Date(owner.expiresAt).toISOString()} at the latest` : ''}` };
  }
  try {
    let st = lstatSync(dir, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) {
      rmSync(dir, { force: true });
      st = undefined;
    }
    const fresh = !st;
    if (fresh) mkdirSync(dir, { mode: 0o700 });
    const now = new Date();
    utimesSync(dir, now, now);
    const bytes = fresh ? 0 : diskBytes(dir);
    const warm = !fresh && hasContent(dir);
    return {
      state: warm ? 'warm' : 'cold',
      key: k.key,
      dir,
      bytes,
      fresh,
      release() {
        try {
          const t = new Date();
          utimesSync(dir, t, t);
        } catch {}
        lock.release();
      },
    };
  } catch (e) {
    lock.release();
    throw e;
  }
}

export interface PruneReport {
  /** Keys removed, least recently used first. */
  removed: string[];
  removedBytes: number;
  /** Bytes of all entries after the prune. */
  totalBytes: number;
  /** Entries in use (locked) that could not be removed although over the cap. */
  skipped: string[];
}

/**
 * Removes entries under `root`, least recently used (entry mtime) first, until all entries together
 * take at most `maxBytes`. Entries in use are left alone; stale locks of removed entries go too.
 * Touches nothing but `<root>/<slug>/<slug>/<32 hex>[.lock]`.
 */
export function pruneCache(root: string, maxBytes: number): PruneReport {
  const entries: Array<{ key: string; dir: string; mtimeMs: number; bytes: number }> = [];
  const dirsOf = (p: string) => {
    try {
      return readdirSync(p, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      return [];
    }
  };
  for (const c of dirsOf(root)) {
    if (!Slug.safeParse(c).success) continue;
    for (const s of dirsOf(join(root, c))) {
      if (!Slug.safeParse(s).success) continue;
      const parent = join(root, c, s);
      for (const name of dirsOf(parent)) {
        const p = join(parent, name);
        if (ENTRY.test(name)) {
          const st = lstatSync(p, { throwIfNoEntry: false });
          if (st?.isDirectory()) entries.push({ key: `${c}/${s}/${name}`, dir: p, mtimeMs: st.mtimeMs, bytes: diskBytes(p) });
        } else if ((LOCK.test(name) || ASIDE.test(name)) && isStale(p, PRUNE_LOCK_MS) && !entryExists(parent, name)) {
          rmSync(p, { recursive: true, force: true }); // a crashed holder's lock, its entry gone
        }
      }
    }
  }
  let total = entries.reduce((a, e) => a + e.bytes, 0);
  const report: PruneReport = { removed: [], removedBytes: 0, totalBytes: total, skipped: [] };
  entries.sort((a, b) => a.mtimeMs - b.mtimeMs || a.key.localeCompare(b.key));
  for (const e of entries) {
    if (total <= maxBytes) break;
    const lock = lockEntry(e.dir, PRUNE_LOCK_MS, 'the prune');
    if (!lock) {
      report.skipped.push(e.key);
      continue;
    }
    try {
      removeTree(e.dir);
    } finally {
      rmSync(lock.path, { recursive: true, force: true });
    }
    total -= e.bytes;
    report.removed.push(e.key);
    report.removedBytes += e.bytes;
  }
  report.totalBytes = total;
  return report;
}

function entryExists(parent: string, lockName: string): boolean {
  const entry = lockName.slice(0, 32);
  return lstatSync(join(parent, entry), { throwIfNoEntry: false }) !== undefined;
}
