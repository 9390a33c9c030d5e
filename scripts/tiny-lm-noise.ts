// The noise floor and minimum detectable difference of tiny-lm on this machine (BENCHMARKS.md):
// runs the harness JOBS times on one example (public split, the challenge's repeats), pools the
// samples by job as the leaderboard does and prints core's noiseFloor at the challenge's minimum
// of jobs and samples. Usage: node scripts/tiny-lm-noise.ts [--jobs 3] [--submission faster]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { noiseFloor, poolEstimate } from '@agora/core';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '3' }, submission: { type: 'string', default: 'faster' } } });
const dir = join(import.meta.dirname, '../challenges/tiny-lm');
const tmp = mkdtempSync(join(tmpdir(), 'tiny-lm-noise-'));
const jobs: number[][] = [];
for (let i = 0; i < Number(values.jobs); i++) {
  const out = join(tmp, `r${i}.json`);
  execFileSync(process.execPath, [join(dir, 'harness/main.ts'), '--submission', join(dir, 'submissions', values.submission!), '--split', 'public', '--out', out], { stdio: 'ignore' });
  jobs.push((JSON.parse(readFileSync(out, 'utf8')) as { metric: { samples: number[] } }).metric.samples);
  console.log(`job ${i + 1}: ${jobs.at(-1)!.map((x) => x.toFixed(1)).join(', ')} tokens/s`);
}
rmSync(tmp, { recursive: true, force: true });
const est = poolEstimate(jobs, 'log', 0.95)!;
const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
for (const [minJobs, minSamples] of [[1, 3], [3, 9]] as const) {
  const f = noiseFloor([est], { scale: 'log', minJobs, minSamples, confidence: 0.95 });
  console.log(`at ${minJobs} job(s), ${minSamples} samples: sample sd ${f.sampleSd?.toFixed(3)}, job sd ${f.jobSd?.toFixed(3)}; minimum detectable ${pct(f.minimumDetectable)}, tiers apart ${pct(f.tierSeparation)}`);
}
