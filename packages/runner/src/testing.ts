// Helpers for the runner's tests: the fixture challenges and submission bundles.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from 'tar';
import type { ClaimedJob } from '@agora/core';

/** Folder of fixture challenge folders (`echo`: see fixtures/echo/challenge.yaml). */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

let n = 0;

/** A submission bundle (tar.gz) in `dir` from a map of file names to contents. */
export async function makeBundle(dir: string, files: Record<string, string>): Promise<string> {
  const src = join(dir, `src${++n}-${process.pid}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, name)), { recursive: true });
    writeFileSync(join(src, name), text);
  }
  const file = join(dir, `bundle${n}-${process.pid}.tar.gz`);
  await create({ gzip: true, file, cwd: src, portable: true }, Object.keys(files));
  return file;
}

/** An echo submission printing five scores (40, 41, ...). */
export const scoring = (extra: Record<string, string> = {}) => ({
  'agora.json': JSON.stringify({ command: ['node', 'main.js'] }),
  'main.js': 'for (let i = 0; i < 5; i++) console.log("score " + (40 + i));',
  ...extra,
});

let jobs = 0;

/** A claimed job of the echo fixture challenge as the server would hand it out (ids count up). */
export function echoClaim(over: Partial<ClaimedJob> = {}): ClaimedJob {
  return {
    jobId: ++jobs,
    attempt: 1,
    leaseToken: 'x'.repeat(32),
    leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
    leaseSeconds: 60,
    collaboration: 'test',
    challengeId: 'echo',
    challenge: { id: 'echo', harness: { command: ['node', 'harness.ts'], version: '1.0.0' }, hardware: ['cpu'] },
    split: 'public',
    submissionId: 1,
    bundleSha256: '0'.repeat(64),
    bundlePath: '/unused',
    artifacts: [],
    limits: { wall_seconds: 3, cpu_seconds: 10, memory_mb: 512, processes: 64 },
    repeats: 2,
    smoke: false,
    ...over,
  };
}
