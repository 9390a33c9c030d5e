// The compile cache (docs/decisions/0071) end to end: executeJob with the echo fixture, the real
// sandbox, a submission that reads and writes $AGORA_CACHE_DIR; entries per submission and public split (private: none),
// the lock, the LRU prune, and the CLI flags.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RunnerEnvironment, type ClaimedJob } from '@agora/core';
import { cacheKey, diskBytes, lockEntry, pruneCache, submissionCacheId } from './cache.ts';
import { runnerMain } from './cli.ts';
import { defaultOfflineCacheDir } from './offline.ts';
import { hostFingerprint } from './environment.ts';
import { executeJob, type JobContext } from './job.ts';
import { LogSink } from './logs.ts';
import { probeSandboxSync } from './sandbox/index.ts';
import { sandboxSkip } from './sandbox/test-gate.ts';
import { echoClaim, FIXTURES, makeBundle } from './testing.ts';

const root = mkdtempSync(join(tmpdir(), 'agora-cache-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
const host = hostFingerprint();
const sandbox = probeSandboxSync();
let n = 0;
const MiB = 1048576;

/**
 * A submission that prints what an earlier job left in its cache (`score <mark>`, 0 for nothing),
 * then whether it has a cache at all (`score 1` / `score 0`), and leaves its own mark.
 */
const remembering = (mark: number) => ({
  'agora.json': JSON.stringify({ command: ['node', 'main.js'] }),
  'main.js': `
    const fs = require('fs');
    const d = process.env.AGORA_CACHE_DIR;
    let seen = 0;
    if (d) {
      try { seen = Number(fs.readFileSync(d + '/mark', 'utf8')); } catch {}
      fs.mkdirSync(d + '/torchinductor', { recursive: true });
      fs.writeFileSync(d + '/mark', '${mark}');
    }
    console.log('score ' + seen);
    console.log('score ' + (d ? 1 : 0));`,
});

interface Submission {
  bundleFile: string;
  sha: string;
}

async function submission(mark: number): Promise<Submission> {
  const bundleFile = await makeBundle(root, remembering(mark));
  return { bundleFile, sha: createHash('sha256').update(readFileSync(bundleFile)).digest('hex') };
}

function claim(s: Submission, over: Partial<ClaimedJob> = {}): ClaimedJob {
  return echoClaim({ bundleSha256: s.sha, limits: { wall_seconds: 5, cpu_seconds: 10, memory_mb: 512, processes: 64 }, ...over });
}

async function run(s: Submission, cacheRoot: string | undefined, over: Partial<ClaimedJob> = {}, ctx: Partial<JobContext> = {}) {
  const jobDir = join(root, `job${++n}`);
  mkdirSync(jobDir, { recursive: true });
  const logFile = join(jobDir, 'log.jsonl');
  const logs = new LogSink({ file: logFile });
  const consoleLines: string[] = [];
  const report = await executeJob({
    job: claim(s, over),
    jobDir,
    bundleFile: s.bundleFile,
    challengesDir: FIXTURES,
    host,
    runnerId: 7,
    sandbox,
    allowUnsandboxed: false,
    logs,
    log: (l) => consoleLines.push(l),
    ...(cacheRoot !== undefined ? { cacheRoot } : {}),
    ...ctx,
  });
  await logs.close();
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { stream: string; text: string });
  const cacheLine = lines.filter((l) => l.stream === 'runner' && l.text.startsWith('[runner] compile cache:')).map((l) => l.text);
  assert.equal(cacheLine.length, 1, `one compile-cache line in the job's log: ${JSON.stringify(cacheLine)}`);
  return { report, cacheLine: cacheLine[0]!, consoleLines, samples: report.result?.metric.samples };
}

/** An entry made by hand: `mb` MiB of data, last used `ageS` seconds ago. */
function entry(cacheRoot: string, hex: string, mb: number, ageS: number): string {
  const dir = join(cacheRoot, 'echo', 'public', hex);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'blob'), Buffer.alloc(mb * MiB, 1));
  const t = new Date(Date.now() - ageS * 1000);
  utimesSync(dir, t, t);
  return dir;
}

describe('the compile cache, job by job', { skip: sandboxSkip() }, () => {
  test('a submission\'s second job is warm with what its first left; another submission starts cold; the private split runs with none', async () => {
    const cacheRoot = join(root, 'c1');
    const a = await submission(11);
    const key = `echo/public/${a.sha.slice(0, 32)}`;

    const first = await run(a, cacheRoot);
    assert.equal(first.report.outcome, 'succeeded', first.report.reason);
    assert.deepEqual(first.samples, [0, 1], 'a cache, with nothing in it');
    assert.equal(first.report.environment.compile_cache, 'cold');
    assert.equal(first.cacheLine, `[runner] compile cache: cold (new entry) ${key}`);
    const dir = join(cacheRoot, key);
    assert.equal(readFileSync(join(dir, 'mark'), 'utf8'), '11', 'the write reached the runner\'s entry');
    assert.equal(lstatSync(dir).mode & 0o777, 0o700);
    assert.ok(!existsSync(`${dir}.lock`), 'the lock is gone after the job');

    const second = await run(a, cacheRoot);
    assert.equal(second.report.outcome, 'succeeded', second.report.reason);
    assert.deepEqual(second.samples, [11, 1], 'the second job read the first one\'s file');
    assert.equal(second.report.environment.compile_cache, 'warm');
    assert.match(second.cacheLine, new RegExp(`^\\[runner\\] compile cache: warm \\(\\d+\\.\\d MB\\) ${key}$`));

    const b = await submission(22);
    assert.notEqual(b.sha, a.sha);
    const other = await run(b, cacheRoot);
    assert.deepEqual(other.samples, [0, 1], 'another submission does not see the first one\'s file');
    assert.equal(other.report.environment.compile_cache, 'cold');
    assert.equal(other.cacheLine, `[runner] compile cache: cold (new entry) echo/public/${b.sha.slice(0, 32)}`);

    // A private split (verification) runs with no cache at all: nothing of the public entry, nothing kept.
    const priv = await run(a, cacheRoot, { split: 'private' });
    assert.equal(priv.report.outcome, 'succeeded', priv.report.reason);
    assert.deepEqual(priv.samples, [0, 0], 'the private split has no cache, and so sees nothing of the public one\'s');
    assert.equal(priv.report.environment.compile_cache, 'off');
    assert.equal(priv.cacheLine, '[runner] compile cache: off (private split: verification runs cold, so nothing persists between verification jobs)');
    const priv2 = await run(a, cacheRoot, { split: 'private' });
    assert.deepEqual(priv2.samples, [0, 0], 'a second verification job runs cold too');
    const back = await run(a, cacheRoot);
    assert.deepEqual(back.samples, [11, 1], 'the public entry is untouched');

    assert.deepEqual(readdirSync(join(cacheRoot, 'echo')).sort(), ['public'], 'no entry was made for the private split');
    assert.deepEqual(readdirSync(join(cacheRoot, 'echo', 'public')).sort(), [a.sha.slice(0, 32), b.sha.slice(0, 32)].sort());
    // The reported environment passes the protocol's schema with the field kept.
    assert.equal(RunnerEnvironment.parse(second.report.environment).compile_cache, 'warm');
  });

  test('without a cache root the job runs with none: "off", no /cache', async () => {
    const a = await submission(33);
    const r = await run(a, undefined);
    assert.equal(r.report.outcome, 'succeeded', r.report.reason);
    assert.deepEqual(r.samples, [0, 0], 'no AGORA_CACHE_DIR');
    assert.equal(r.report.environment.compile_cache, 'off');
    assert.equal(r.cacheLine, '[runner] compile cache: off');
  });

  test('an entry held by another job: the job runs without a cache and says why; a stale lock is taken over', async () => {
    const cacheRoot = join(root, 'c2');
    const a = await submission(44);
    const dir = join(cacheRoot, 'echo', 'public', a.sha.slice(0, 32));
    await run(a, cacheRoot); // the entry exists, marked 44
    mkdirSync(join(cacheRoot, 'echo', 'public'), { recursive: true });
    const held = lockEntry(dir, 60_000, 'job 999');
    assert.ok(held);
    const busy = await run(a, cacheRoot);
    assert.equal(busy.report.outcome, 'succeeded', busy.report.reason);
    assert.deepEqual(busy.samples, [0, 0], 'no cache while another job holds the entry');
    assert.equal(busy.report.environment.compile_cache, 'off');
    assert.match(busy.cacheLine, new RegExp(`^\\[runner\\] compile cache: busy, running without \\(echo/public/${a.sha.slice(0, 32)}: the entry is in use by job 999 `));
    assert.ok(existsSync(held.path), 'the other job\'s lock is left alone');
    held.release();
    assert.ok(!existsSync(held.path));

    // A runner that died holding the lock: its expiry has passed.
    const dead = lockEntry(dir, -1000, 'job 998');
    assert.ok(dead);
    const taken = await run(a, cacheRoot);
    assert.deepEqual(taken.samples, [44, 1], 'the stale lock was taken over');
    assert.equal(taken.report.environment.compile_cache, 'warm');
    assert.ok(!existsSync(dead.path), 'and released after the job');
    assert.deepEqual(readdirSync(join(cacheRoot, 'echo', 'public')), [a.sha.slice(0, 32)], 'no lock or aside left behind');
  });

  test('after a job, least recently used entries go until the cache is under its cap; entries in use stay', async () => {
    const cacheRoot = join(root, 'c3');
    const held = entry(cacheRoot, 'd'.repeat(32), 2, 4000); // the oldest, but in use
    const oldest = entry(cacheRoot, 'a'.repeat(32), 2, 3000);
    const older = entry(cacheRoot, 'b'.repeat(32), 2, 2000);
    const recent = entry(cacheRoot, 'c'.repeat(32), 0, 1000);
    const lock = lockEntry(held, 60_000, 'job 1000')!;
    // Links out of an entry are measured and removed as links: their targets are untouched.
    const outside = join(root, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'precious'), Buffer.alloc(3 * MiB, 2));
    symlinkSync(outside, join(oldest, 'link'));
    const was = new Date(Date.now() - 3000 * 1000);
    utimesSync(oldest, was, was); // the link made it look used now
    assert.ok(diskBytes(oldest) < 2.1 * MiB, 'a link is not followed when measuring');

    const a = await submission(55);
    const r = await run(a, cacheRoot, {}, { cacheMaxMb: 3 });
    assert.equal(r.report.outcome, 'succeeded', r.report.reason);
    assert.equal(r.report.environment.compile_cache, 'cold');
    const left = readdirSync(join(cacheRoot, 'echo', 'public')).sort();
    assert.deepEqual(left, [a.sha.slice(0, 32), 'c'.repeat(32), 'd'.repeat(32), `${'d'.repeat(32)}.lock`].sort(),
      'the two least recently used free entries went; the held one, the recent one and the job\'s own stayed');
    assert.equal(readFileSync(join(outside, 'precious')).length, 3 * MiB, 'the link\'s target survived');
    assert.ok(existsSync(recent) && existsSync(held));
    assert.ok(!existsSync(older));
    assert.ok(r.consoleLines.some((l) => l.includes(`removed 2 least recently used entries`) && l.includes(`echo/public/${'a'.repeat(32)}, echo/public/${'b'.repeat(32)}`)), r.consoleLines.join('\n'));
    lock.release();

    // Under the cap nothing goes.
    const again = pruneCache(cacheRoot, 100 * MiB);
    assert.deepEqual(again.removed, []);
    assert.ok(existsSync(held));
    // A cap of one byte takes every free entry, never anything but entries.
    writeFileSync(join(cacheRoot, 'not-an-entry'), 'x');
    mkdirSync(join(cacheRoot, 'echo', 'public', 'notes'));
    const all = pruneCache(cacheRoot, 1);
    assert.equal(all.removed.length, 3);
    assert.equal(all.totalBytes, 0);
    assert.deepEqual(readdirSync(join(cacheRoot, 'echo', 'public')), ['notes']);
    assert.ok(existsSync(join(cacheRoot, 'not-an-entry')));
  });
});

test('the cache key: per challenge, split and submission content (bundle and artifacts)', () => {
  const sha = 'ab'.repeat(32);
  const base = { challengeId: 'llm-decode', split: 'public', bundleSha256: sha, artifacts: [] as Array<{ sha256: string; path: string }> };
  assert.deepEqual(cacheKey(base), { key: `llm-decode/public/${sha.slice(0, 32)}` });
  const w1 = [{ sha256: '1'.repeat(64), path: 'weights.bin' }];
  const w2 = [{ sha256: '2'.repeat(64), path: 'weights.bin' }];
  const id1 = submissionCacheId({ ...base, artifacts: w1 })!;
  assert.match(id1, /^[0-9a-f]{32}$/);
  assert.notEqual(id1, sha.slice(0, 32), 'artifacts change the key');
  assert.notEqual(id1, submissionCacheId({ ...base, artifacts: w2 }), 'other artifacts, another entry');
  assert.equal(id1, submissionCacheId({ ...base, artifacts: [...w1] }));
  const two = [{ sha256: '1'.repeat(64), path: 'a' }, { sha256: '2'.repeat(64), path: 'b' }];
  assert.equal(submissionCacheId({ ...base, artifacts: two }), submissionCacheId({ ...base, artifacts: [...two].reverse() }), 'order does not matter');
  assert.match(JSON.stringify(cacheKey({ ...base, split: '../public' })), /not a slug/);
  assert.match(JSON.stringify(cacheKey({ ...base, challengeId: 'a/b' })), /not a slug/);
  assert.match(JSON.stringify(cacheKey({ ...base, bundleSha256: '../x' })), /not sha256 hex/);
});

test('CLI: --cache, --no-cache and --cache-max-mb are checked; run-offline\'s default is under XDG_CACHE_HOME or ~/.cache', async () => {
  const lines: string[] = [];
  const log = (l: string) => lines.push(l);
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  const cases: Array<[string[], RegExp]> = [
    [['run-offline', root, '--cache', join(root, 'c'), '--no-cache'], /--cache and --no-cache contradict each other/],
    [['run-offline', root, '--no-cache', '--cache-max-mb', '5'], /--cache-max-mb has no effect with --no-cache/],
    [['run-offline', root, '--cache-max-mb', '0'], /--cache-max-mb must be a positive integer/],
    [['run-offline', root, '--cache-max-mb', '1.5'], /--cache-max-mb must be a positive integer/],
    [['run-offline', root, '--cache', ''], /--cache needs a directory/],
    [['run-offline', root, '--cache', file], /exists and is not a directory/],
    [['start', '--server', 'http://127.0.0.1:9', '--token', 't', '--labels', 'cpu', '--cache', file], /exists and is not a directory/],
    [['export', '--out', join(root, 'e'), '--cache', root], /are for start and run-offline, not export/],
    [['upload', root, '--no-cache'], /are for start and run-offline, not upload/],
  ];
  for (const [argv, want] of cases) {
    lines.length = 0;
    assert.equal(await runnerMain(argv, log), 2, argv.join(' '));
    assert.match(lines.join('\n'), want, argv.join(' '));
  }
  lines.length = 0;
  assert.equal(await runnerMain(['--help'], log), 0);
  assert.match(lines.join('\n'), /\[--cache DIR \| --no-cache\] \[--cache-max-mb N\]/);
  assert.equal(defaultOfflineCacheDir({ XDG_CACHE_HOME: '/var/cache/me' }), '/var/cache/me/agora-runner');
  assert.match(defaultOfflineCacheDir({ XDG_CACHE_HOME: 'relative' }), /\/\.cache\/agora-runner$/);
  assert.match(defaultOfflineCacheDir({}), /\/\.cache\/agora-runner$/);
});
