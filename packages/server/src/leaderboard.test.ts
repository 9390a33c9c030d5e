// The leaderboard's significance rules over HTTP on the engine under test (docs/decisions/0105):
// a duplicate pools into its original, entries below the challenge's minimum of jobs are shown
// unranked, a noisy entry does not pull the others into one tier, compare answers better, worse
// or tie with the interval of the ratio (of the baseline ratios when both carry them), and
// results are compared only within one hardware class.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { AgoraClient } from '@agora/sdk';
import { ENV, GPU_ENV, harnessResult, newRunner, rejects } from './jobs.fixtures.ts';
import { tempDir } from '@agora/store/testing';
import { startTestServer, writeFixtureChallenge, type TestServer } from './testing.ts';

describe('leaderboard significance and compare', () => {
  let t: TestServer;
  let ada: AgoraClient;
  let runner: AgoraClient;
  const dir = tempDir('agora-board-');
  before(async () => {
    t = await startTestServer({ challengeDir: writeFixtureChallenge(join(dir.path, 'c'), 'significance: { min_jobs: 2, min_samples: 6 }\n') });
    ada = await t.join('ada');
    const org = await t.join('olga', 'organizer');
    await org.call('grantQuota', { params: { collab: t.collab }, body: { handle: 'ada', extraJobs: 100, reason: 'leaderboard test' } });
    runner = (await newRunner(t, ['cpu', 'gpu'], 'board-runner')).client;
  });
  after(async () => {
    await t.close();
    dir.dispose();
  });

  const submit = async (content: string, title = content) =>
    ada.call('createSubmission', { params: { collab: t.collab }, body: { title, files: [{ path: 'serve.py', content: `print(${JSON.stringify(content)})\n` }] } });
  const score = async (sub: number, samples: number[], opts: { env?: Record<string, unknown>; baseline?: number[] } = {}) => {
    await ada.call('createJob', { params: { collab: t.collab }, body: { submissionId: sub, split: 'public' } });
    const { job } = await runner.call('claimJob', { body: { labels: ['cpu', 'gpu'] } });
    assert.equal(job!.submissionId, sub);
    const result = harnessResult('public', samples);
    if (opts.baseline) result.extra = { interleaved_baseline: { submission: 'submissions/baseline', samples: opts.baseline } };
    await runner.call('submitJobResult', { params: { id: job!.jobId }, body: { leaseToken: job!.leaseToken, outcome: 'succeeded', result, environment: (opts.env ?? ENV) as typeof ENV } });
  };
  const board = () => t.anonymous.call('leaderboard', { params: { collab: t.collab }, query: { split: 'public' } });
  const compare = (a: number, b: number, hardware?: string) => t.anonymous.call('compare', { params: { collab: t.collab }, query: { a, b, ...(hardware ? { hardware } : {}) } });

  test('duplicates pool, minimums hold, a noisy entry moves nobody, compare says why', async () => {
    const base = (await submit('baseline')).submission.id;
    const fast = (await submit('faster')).submission.id;
    const fast2 = (await submit('faster, a comment changed')).submission.id;
    const dup = await submit('faster', 'faster again');
    assert.equal(dup.duplicateOf?.id, fast);
    const noisy = (await submit('noisy')).submission.id;
    const once = (await submit('one job')).submission.id;

    await score(base, [94, 95, 96], { baseline: [95, 95, 95] });
    await score(base, [95, 94.5, 95.5], { baseline: [95, 94, 96] });
    await score(fast, [1480, 1500, 1490], { baseline: [95, 96, 94] });
    await score(dup.submission.id, [1470, 1510, 1495], { baseline: [94, 95, 96] }); // the duplicate's job pools into the original
    await score(fast2, [1475, 1505, 1492], { baseline: [95, 95, 94] });
    await score(fast2, [1490, 1500, 1480], { baseline: [96, 95, 95] });
    await score(noisy, [1200, 64_000, 2000]);
    await score(noisy, [900, 30_000, 40]);
    await score(once, [5000, 5001, 4999, 5000, 5002, 4998]);
    await score(base, [300, 301, 299], { env: GPU_ENV }); // another hardware class: ranked on its own
    await score(once, [600, 601, 599], { env: GPU_ENV });

    const b = await board();
    const cpu = b.items.filter((e) => e.hardwareClass === 'cpu:amd epyc 7r32');
    const row = (id: number) => cpu.find((e) => e.submissionId === id)!;
    assert.equal(cpu.find((e) => e.submissionId === dup.submission.id), undefined, 'no entry of its own for the duplicate');
    assert.deepEqual(row(fast).duplicates, [dup.submission.id]);
    assert.deepEqual([row(fast).jobs, row(fast).n], [2, 6]);
    assert.ok(row(fast).ciLow! > 0 && row(noisy).ciLow! > 0, 'intervals of a speed stay positive');
    assert.deepEqual([row(once).rank, row(once).unranked], [null, 'too_few_jobs']);
    assert.equal(row(fast).tier, 1);
    assert.equal(row(fast2).tier, 1, 'a noise-only change ties');
    assert.equal(row(base).tier, 2, 'the baseline is a tier below, the noisy entry notwithstanding');
    assert.equal(row(base).rank, 1 + [fast, fast2, noisy].filter((id) => row(id).ciLow! > row(base).ciHigh!).length, 'rank = 1 + entries wholly above');
    assert.ok(row(base).rank! >= 3);
    assert.equal(row(noisy).rank, 1, 'wholly below nobody');
    assert.ok(row(fast).baselineRatio!.low! > 14 && row(fast).baselineRatio!.high! < 17, JSON.stringify(row(fast).baselineRatio));
    assert.equal(row(noisy).baselineRatio, null);
    assert.deepEqual(b.ranking, { scale: 'log', minJobs: 2, minSamples: 6, rule: b.ranking.rule });
    const floor = b.noiseFloor.find((f) => f.hardwareClass === 'cpu:amd epyc 7r32')!;
    assert.ok(floor.minimumDetectable! > 0 && floor.tierSeparation! > floor.minimumDetectable!, JSON.stringify(floor));
    assert.deepEqual(b.items.filter((e) => e.hardwareClass === 'gpu:nvidia a10g').map((e) => e.unranked), ['too_few_jobs', 'too_few_jobs']);

    const better = await compare(fast, base, 'cpu:amd epyc 7r32');
    assert.deepEqual([better.verdict, better.basis, better.a.pooledAs, better.a.jobs], ['better', 'baseline_ratio', fast, 2]);
    assert.ok(better.ratio.low! > 14 && better.ratio.high! < 17 && better.ratio.low! < better.ratio.estimate, JSON.stringify(better.ratio));
    assert.equal((await compare(base, fast, 'cpu:amd epyc 7r32')).verdict, 'worse');
    const tie = await compare(fast2, dup.submission.id, 'cpu:amd epyc 7r32');
    assert.deepEqual([tie.verdict, tie.b.pooledAs], ['tie', fast], 'the duplicate is compared as its original\'s pool');
    assert.ok(tie.ratio.low! < 1 && tie.ratio.high! > 1);
    const noisyTie = await compare(noisy, fast, 'cpu:amd epyc 7r32');
    assert.deepEqual([noisyTie.verdict, noisyTie.basis], ['tie', 'metric']);

    // errors: typed, never 500
    assert.equal((await compare(fast, base)).hardwareClass, 'cpu:amd epyc 7r32', 'the one class both ran on');
    await rejects(compare(once, base), 400, 'validation_failed'); // both ran on two classes: say which
    await rejects(compare(fast, 9999, 'cpu:amd epyc 7r32'), 404, 'not_found');
    await rejects(compare(fast, base, 'cpu:nothing'), 422, 'unprocessable');
    await rejects(t.anonymous.call('compare', { params: { collab: t.collab }, query: { a: fast, b: base, split: 'nope' } }), 400, 'validation_failed');
    const raw = await fetch(`${t.url}/v1/collaborations/${t.collab}/compare?a=x&b=1`);
    assert.equal(raw.status, 400);
  });
});
