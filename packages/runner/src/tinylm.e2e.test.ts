// Issues 4 and 11 end to end on the engine under test, on tiny-lm, on one testbed (one server, one
// runner in the bubblewrap sandbox, the example bundles uploaded as tar.gz): the faster child
// beats the baseline and ranks a tier above it; a noise-only change of it (a notes file added)
// ties with it by `compare`; a duplicate of the overfit example pools into it; the cheat fails a
// guardrail, its job in a state of its own; the overfit example, ranked by its public figure,
// is re-run on the private split by the automatic verification (stepped with the test server's
// clock), marked diverged and leaves the ranking; a flag is upheld, invalidating two submissions
// and their lever-carrying descendants, and a later ruling reinstates them.
// Speed is compared so that it holds on a loaded machine: baseline and faster are queued as
// interleaved pairs, each pair run back to back by the one runner, and the faster child must win
// every pair (a job's median sample against its partner's). Load only slows a job down, and a pair
// shares the load of its minute. Jobs: 8 paired, the cheat 1, the noise-only change 1, overfit 2
// and its duplicate 1, and the private verification of each new leader (1 or 2).
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { create } from 'tar';
import { readResponse, type AgoraClient } from '@agora/sdk';
import { startTestServer, type TestServer } from '../../server/src/testing.ts';
import { DEFAULT_CHALLENGES } from './cli.ts';
import { startRunner, type RunningRunner } from './runner.ts';
import { sandboxSkip } from './sandbox/test-gate.ts';
import { until } from './testbed.ts';

const TINY = join(DEFAULT_CHALLENGES, 'tiny-lm');
/** Interleaved baseline/faster job pairs: the faster child must win each (one-sided sign test, p = 1/16 were they equal). */
const PAIRS = 4;
const ENDED = ['succeeded', 'guardrail_failed', 'failed', 'errored', 'timed_out', 'cancelled'];
/** The verifier's clock: past the release time of every job ended so far (decision 0087). */
const later = () => new Date(Date.now() + 2 * 3600_000);

describe('tiny-lm end to end: ranking, ties, duplicates, guardrails, private verification, rulings', { skip: sandboxSkip() }, () => {
  let t: TestServer;
  let olga: AgoraClient, ada: AgoraClient, bo: AgoraClient;
  let runner: RunningRunner | undefined;
  const work = mkdtempSync(join(tmpdir(), 'agora-tinylm-e2e-'));
  const P = () => ({ collab: t.collab });
  before(async () => {
    t = await startTestServer({ challengeDir: TINY });
    [olga, ada, bo] = [await t.join('olga', 'organizer'), await t.join('ada'), await t.join('bo')];
  });
  after(async () => {
    await runner?.stop();
    await t.close();
    rmSync(work, { recursive: true, force: true });
  });

  /** Uploads an example folder as a tar.gz; `note` adds a file, so a child differs from its parent by exactly that. */
  async function upload(who: AgoraClient, example: string, title: string, query: Record<string, string>, note?: string) {
    let dir = join(TINY, 'submissions', example);
    if (note) {
      const copy = join(work, title);
      cpSync(dir, copy, { recursive: true });
      writeFileSync(join(copy, 'NOTES.md'), `${note}\n`);
      dir = copy;
    }
    const file = join(work, `${title}.tar.gz`);
    await create({ gzip: true, file, cwd: dir, portable: true }, ['.']);
    const res = await fetch(who.path('uploadSubmission', P(), { title, ...query }), { method: 'POST', headers: who.headers({ 'content-type': 'application/gzip' }), body: readFileSync(file) });
    return (await readResponse(res)) as { submission: { id: number }; duplicateOf: { id: number } | null };
  }
  const id = async (...args: Parameters<typeof upload>) => (await upload(...args)).submission.id;

  const finished = (jobId: number) =>
    until(`job ${jobId}`, async () => {
      const j = await olga.call('getJob', { params: { ...P(), id: jobId } });
      return ENDED.includes(j.state) ? j : null;
    }, 300_000);
  const board = async () => (await ada.call('leaderboard', { params: P(), query: { split: 'public' } })).items;

  test('ranked in tiers, ties and duplicates pooled, the cheat and the overfit caught, a ruling upheld and revoked', async () => {
    // The first verifier tick of the day runs the daily top K; taken now, while nothing is ranked,
    // so that later ticks queue only new leaders (each a private tiny-lm job).
    assert.deepEqual((await t.verify(later())).queued, []);

    const baseline = await id(ada, 'baseline', 'baseline', {});
    const faster = await id(ada, 'faster', 'KV cache', { parents: `#s${baseline}`, levers: 'kv-cache' });
    const cheat = await id(ada, 'cheat', 'skip layers', { parents: `#s${baseline}`, levers: 'skip-layers' });
    const overfit = await id(bo, 'overfit', 'answers table', { parents: `#s${baseline}`, levers: 'memo' });
    const dup = await upload(ada, 'overfit', 'answers table again', { parents: `#s${overfit}`, levers: 'memo' });
    assert.equal(dup.duplicateOf?.id, overfit, 'the upload answers the original it duplicates');
    const noiseOnly = await id(bo, 'faster', 'KV cache with a table', { parents: `#s${faster}`, levers: 'kv-cache,memo' }, 'Adds the answers table idea.');
    const fasterPlain = await id(ada, 'faster', 'KV cache, documented', { parents: `#s${faster}`, levers: 'kv-cache' }, 'Only notes.');
    const detail = await ada.call('getSubmission', { params: { ...P(), id: faster } });
    assert.deepEqual(detail.parents, [baseline]);

    const queue = (who: AgoraClient, submissionId: number) => who.call('createJob', { params: P(), body: { submissionId, split: 'public' } });
    const pairs: { baseline: number; faster: number }[] = [];
    for (let i = 0; i < PAIRS; i++) {
      // Alternate which of the two runs first, so that a drift in load does not favour one of them.
      const first = await queue(ada, i % 2 ? faster : baseline);
      const second = await queue(ada, i % 2 ? baseline : faster);
      pairs.push(i % 2 ? { faster: first.id, baseline: second.id } : { baseline: first.id, faster: second.id });
    }
    const cheatJob = await queue(ada, cheat);
    const others = [await queue(bo, noiseOnly), await queue(bo, overfit), await queue(bo, overfit), await queue(ada, dup.submission.id)];
    const { token } = await t.admin.call('createRunner', { body: { name: 'cpu-1', labels: ['cpu'] } });
    runner = await startRunner({ url: t.url, token, labels: ['cpu'], challengesDir: DEFAULT_CHALLENGES, workDir: join(work, 'runner'), pollMs: 100, log: (l) => process.env.AGORA_TEST_VERBOSE && console.error(new Date().toISOString(), l) });
    const done = [];
    for (const p of pairs) done.push({ b: await finished(p.baseline), f: await finished(p.faster) });
    const c = await finished(cheatJob.id);
    for (const j of [...done.flatMap((d) => [d.b, d.f]), ...(await Promise.all(others.map((o) => finished(o.id))))])
      assert.equal(j.state, 'succeeded', `${j.id}: ${j.reason ?? ''}`);

    // The cheat: scored, failed a guardrail, a state of its own.
    assert.equal(c.state, 'guardrail_failed', `the cheat scored but failed a guardrail: a state of its own (${c.reason ?? ''})`);
    assert.match(c.reason!, /failed the guardrail\(s\) .*not ranked/);
    assert.equal(c.result!.guardrailsPassed, false, 'the cheat is caught');
    const failed = c.result!.guardrails.filter((g) => g.passed === false).map((g) => g.name);
    assert.ok(failed.includes('decode_fidelity') || failed.includes('perplexity'), JSON.stringify(c.result!.guardrails));

    // Every sample and the environment are on the result.
    const { b, f } = done[0]!;
    assert.equal(b.result!.metric.name, 'tokens_per_second');
    assert.equal(b.result!.metric.samples.length, 3, 'one sample per repeat');
    assert.ok((b.result!.samples ?? []).length > 0, 'per-request samples are public on the public split');
    assert.equal(b.result!.environment.harnessVersion, '2.0.0');
    assert.match(String(b.result!.environment.sandbox), /^bubblewrap/);
    assert.ok(b.result!.environment.cpu, 'the CPU model is recorded');
    assert.ok(b.result!.guardrailsPassed && f.result!.guardrailsPassed, 'baseline and faster keep quality');

    // The paired comparison: within each pair, the faster child's median sample beats its partner's.
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const medians = done.map((d) => ({ baseline: median(d.b.result!.metric.samples), faster: median(d.f.result!.metric.samples) }));
    assert.ok(medians.every((m) => m.faster > m.baseline), `pairs (baseline, faster tokens/s): ${JSON.stringify(medians)}`);

    // The public board before verification: the faster child a tier above the baseline; the cheat
    // shown unranked; the duplicate pooled into the overfit example, which reaches 3 jobs by it;
    // the noise-only change listed, unranked at one job.
    let items = await board();
    let row = (s: number) => items.find((e) => e.submissionId === s)!;
    assert.ok(row(faster).rank! < row(baseline).rank! && row(faster).tier! < row(baseline).tier!, JSON.stringify([row(faster), row(baseline)]));
    assert.equal(row(cheat).rank, null, 'guardrail failures are shown but not ranked');
    assert.deepEqual(row(cheat).failedGuardrails.sort(), failed.sort());
    assert.equal(row(baseline).n, 3 * PAIRS);
    assert.equal(row(faster).n, 3 * PAIRS);
    assert.equal(items.find((e) => e.submissionId === dup.submission.id), undefined, 'no entry of its own for the duplicate');
    assert.deepEqual([row(overfit).duplicates, row(overfit).jobs, row(overfit).verdict], [[dup.submission.id], 3, null]);
    assert.ok(row(overfit).rank !== null, 'ranked by its public figure until verified');
    assert.equal(row(noiseOnly).unranked, 'too_few_jobs');
    const results = await ada.call('submissionResults', { params: { ...P(), id: faster }, query: {} });
    assert.equal(results.pools[0]!.n, 3 * PAIRS);
    assert.equal(results.items[0]!.result!.environment.runnerId, runner.runnerId);

    // compare: the faster child better than the baseline; the noise-only change tied with it.
    const hardware = row(faster).hardwareClass;
    const cmp = (a: number, bb: number) => t.anonymous.call('compare', { params: P(), query: { a, b: bb, hardware } });
    assert.equal((await cmp(faster, baseline)).verdict, 'better');
    const tie = await cmp(noiseOnly, faster);
    assert.equal(tie.verdict, 'tie', `a notes file changes nothing measurable: ${JSON.stringify(tie.ratio)}`);
    assert.ok(tie.ratio.low! < 1 && tie.ratio.high! > 1);

    // The automatic verification: every new leader re-run on the private split, uncharged, then
    // decided at the release time. The overfit example answers public prompts from a table, so its
    // private run is far slower than its public claim: diverged, and out of the ranking.
    const leaders = items.filter((e) => e.rank === 1).map((e) => e.submissionId);
    assert.ok(leaders.includes(overfit), `the table makes it a leader on public: ${JSON.stringify(items.map((e) => [e.submissionId, e.rank]))}`);
    const queued = (await t.verify(later())).queued;
    assert.deepEqual(queued.map((q) => q.submissionId).sort(), [...leaders].sort());
    assert.ok(queued.every((q) => q.reason === 'new_leader'));
    for (const q of queued) assert.ok(ENDED.includes((await finished(q.jobId)).state));
    assert.ok((await t.verify(later())).decided.length >= 1);
    const [v] = (await t.anonymous.call('listVerifications', { params: P(), query: { submission: overfit } })).items;
    assert.deepEqual([v!.verdict, v!.diverged.includes('metric')], ['diverged', true], JSON.stringify(v));
    items = await board();
    row = (s: number) => items.find((e) => e.submissionId === s)!;
    assert.deepEqual([row(overfit).rank, row(overfit).unranked, row(overfit).verdict], [null, 'verification_diverged', 'diverged']);

    // A flag upheld: ada flags bo's answers table; the ruling names it and "KV cache" (whose child
    // copied the table), reaching descendants by the memo lever.
    const onBoard = async () => new Set((await board()).map((e) => e.submissionId));
    const scored = [baseline, faster, overfit, noiseOnly];
    const beforeRuling = await onBoard();
    for (const s of scored) assert.ok(beforeRuling.has(s), `#s${s} is on the leaderboard before the ruling`);
    const flag = await ada.call('createFlag', { params: P(), body: { submission: overfit, category: 'overfitting', evidence: `#s${overfit} answers the public prompts from answers.json; far faster on public than on private.` } });
    const ruling = await olga.call('createRuling', {
      params: P(),
      body: {
        kind: 'uphold', title: 'Answer tables are overfitting', text: 'Answers must be computed, not looked up.', flags: [flag.id],
        invalidate: { submissions: [overfit, faster], lever: 'memo' },
      },
    });
    const invalid = [overfit, faster, dup.submission.id, noiseOnly].sort((x, y) => x - y);
    assert.deepEqual(ruling.invalidated, invalid, 'the two named and every descendant carrying memo; the plain child of faster is not reached');
    const during = await onBoard();
    for (const s of invalid) assert.ok(!during.has(s), `#s${s} left the leaderboard`);
    assert.ok(during.has(baseline));
    const lineage = await t.anonymous.call('lineage', { params: P() });
    assert.equal(lineage.nodes.length, 7, 'every submission stays in the lineage');
    for (const n of lineage.nodes) {
      const isInvalid = invalid.includes(n.id);
      assert.equal(n.standing.state, isInvalid ? 'invalid' : 'valid', `#s${n.id}`);
      if (isInvalid) {
        assert.equal(n.standing.invalidatedBy?.rulingId, ruling.id);
        assert.equal(n.standing.invalidatedBy?.postId, ruling.postId);
        assert.ok(n.badges.includes('invalid'));
      }
    }
    assert.equal(lineage.nodes.find((n) => n.id === fasterPlain)!.standing.state, 'valid');
    const post = await t.anonymous.call('getPost', { params: { ...P(), id: ruling.postId } });
    assert.deepEqual(post.post.tags, ['ruling']);
    assert.deepEqual((await t.anonymous.call('listRulings', { params: P() })).items.map((r) => r.id), [ruling.id]);

    // A later ruling reinstates them: back on the board, the faster child ranked above the baseline
    // again, the overfit example still out of the ranking by its verdict.
    const back = await olga.call('createRuling', { params: P(), body: { kind: 'reinstate', title: 'Reinstated after review', text: 'The earlier ruling reached too far.', revokes: ruling.id } });
    assert.deepEqual(back.reinstated, invalid);
    const afterRuling = await onBoard();
    for (const s of scored) assert.ok(afterRuling.has(s), `#s${s} is back on the leaderboard`);
    items = await board();
    assert.ok(row(faster).rank! < row(baseline).rank!);
    assert.deepEqual([row(noiseOnly).unranked, row(overfit).unranked], ['too_few_jobs', 'verification_diverged'], 'one job: listed, not ranked before tiny-lm\'s 3 jobs');
    const nodes = (await t.anonymous.call('lineage', { params: P() })).nodes;
    assert.ok(nodes.every((n) => n.standing.state === 'valid'));
    const audit = await olga.call('auditLog', { params: P(), query: { types: 'submission.invalidated,submission.reinstated' } });
    assert.equal(audit.items.length, 2 * invalid.length, 'each invalidation and reinstatement is in the audit log');
  });
});
