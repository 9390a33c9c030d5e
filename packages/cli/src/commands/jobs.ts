// `agora jobs run|list|show|logs|cancel|rerun`, `agora quota [grant]`, `agora leaderboard`, `agora compare`, `agora results`.

import { jobPeople, jobRepeats, jobTry, type Job } from '@agora/core';
import type { Command } from '../command.ts';
import { UsageError } from '../command.ts';
import { fields, nextPage, safe, table, when } from '../output.ts';
import { exitCodeOf, watchJob } from './watch.ts';

const num = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '-' : Number(x.toPrecision(digits + 2)).toString());
const pct = (x: number | null | undefined) => (x === null || x === undefined ? '-' : `${Number((x * 100).toPrecision(3))}%`);

const whoText = (j: Pick<Job, 'originator' | 'sponsor' | 'requestedBy'>) => jobPeople({ originator: j.originator.handle, sponsor: j.sponsor?.handle ?? null, requestedBy: j.requestedBy.handle });

function jobText(j: Job): string {
  const r = j.result;
  return [
    fields([
      ['job', `#${j.id} on #s${j.submissionId}, split ${j.split} (${j.visibility}), ${jobRepeats(j.repeats)}`],
      ['state', `${j.state}${j.reason ? `: ${j.reason}` : ''}`],
      ['queue', j.state === 'queued' ? `position ${j.queuePosition ?? '?'}, about ${j.waitEstimateSeconds ?? '?'} s` : null],
      ['for', whoText(j)],
      ['charged', `${j.charged}${j.refunded ? ' (refunded)' : ''}`], ['tries', `${jobTry(j.attempt, j.maxAttempts)} (the platform retries its own failures)`],
      ['created', when(j.createdAt)], ['started', when(j.startedAt)], ['finished', when(j.finishedAt)],
      ['overdue', j.overdueAt ? when(j.overdueAt) : null],
    ]),
    ...(r
      ? ['', fields([
        ['metric', `${r.metric.name}: ${r.metric.samples.map((s) => num(s)).join(', ')} ${r.metric.unit} (${r.metric.direction})`],
        ['guardrails', `${r.guardrailsPassed ? 'passed' : 'FAILED'}: ${r.guardrails.map((g) => `${String(g.name)}=${typeof g.value === 'number' ? num(g.value) : String(g.value)}`).join(', ')}`],
        ['hardware', r.hardwareClass], ['harness', `${r.harness.name} ${r.harness.version}`],
      ])]
      : []),
  ].join('\n');
}

export const jobCommands: Command[] = [
  {
    name: 'jobs run',
    args: '<submission-id> [--split public] [--repeats N] [--wait]',
    summary: 'Queue a scoring job on my quota (anyone may run a staged submission and is credited as sponsor); --wait follows it to the end.',
    options: { split: { type: 'string' }, repeats: { type: 'string' }, wait: { type: 'boolean' } },
    async run(c, a) {
      a.atMost(1);
      const submissionId = a.id(0, '<submission-id>');
      const repeats = a.int('repeats', { min: 1, max: 100 });
      const collab = c.collab();
      let job = await c.authed().call('createJob', { params: { collab }, body: { submissionId, split: a.str('split') ?? 'public', ...(repeats ? { repeats } : {}) } });
      if (!a.flag('wait')) return c.print(job, () => `queued job #${job.id} (position ${job.queuePosition ?? '?'}, about ${job.waitEstimateSeconds ?? '?'} s): ${c.cmd(`jobs watch ${job.id}`)}`);
      job = await watchJob(c, collab, job.id, { logs: false });
      c.print(job, () => jobText(job));
      // Only a success exits 0: a guardrail failure scored but is not a result to build on.
      return exitCodeOf(job.state);
    },
  },
  {
    name: 'jobs list',
    args: '[--state S,...] [--submission N] [--split S] [--participant H] [--mine] [--limit N] [--cursor C]',
    summary: 'Jobs, newest first, with state, reason and queue position.',
    options: {
      state: { type: 'string' }, submission: { type: 'string' }, split: { type: 'string' }, participant: { type: 'string' },
      mine: { type: 'boolean' }, limit: { type: 'string' }, cursor: { type: 'string' },
    },
    async run(c, a) {
      a.atMost(0);
      const state = a.str('state');
      const submissionId = a.int('submission', { min: 1, max: 2_147_483_647 });
      const split = a.str('split');
      let participant = a.str('participant')?.replace(/^@/, '');
      if (a.flag('mine')) participant = (await c.authed().call('me')).participant.handle;
      const limit = a.int('limit', { min: 1, max: 200 });
      const cursor = a.str('cursor');
      const res = await c.client().call('listJobs', {
        params: { collab: c.collab() },
        query: { ...(state ? { state } : {}), ...(submissionId ? { submissionId } : {}), ...(split ? { split } : {}), ...(participant ? { participant } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) },
      });
      c.print(res, () =>
        res.items.length
          ? table(res.items, [
            { header: 'JOB', get: (j) => `#${j.id}`, align: 'right' },
            { header: 'SUB', get: (j) => `#s${j.submissionId}` },
            { header: 'SPLIT', get: (j) => j.split },
            { header: 'STATE', get: (j) => (j.state === 'queued' && j.queuePosition ? `queued (${j.queuePosition})` : j.state) },
            { header: 'FOR', get: (j) => whoText(j), max: 60 },
            { header: 'CREATED', get: (j) => when(j.createdAt) },
            { header: 'REASON', get: (j) => j.reason, max: 60 },
          ]) + nextPage(res.nextCursor)
          : 'no jobs');
    },
  },
  {
    name: 'jobs show',
    args: '<job-id> [--wait]',
    summary: 'One job: state and reason, attempts, result and environment.',
    options: { wait: { type: 'boolean' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<job-id>');
      const collab = c.collab();
      const job = a.flag('wait') ? await watchJob(c, collab, id, { logs: false }) : await c.client().call('getJob', { params: { collab, id } });
      c.print(job, () => jobText(job));
    },
  },
  {
    name: 'jobs logs',
    args: '<job-id> [--after N] [--follow]',
    summary: 'A job\'s log lines (anyone\'s, for public jobs); --follow polls until the job ends.',
    options: { after: { type: 'string' }, follow: { type: 'boolean', short: 'f' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<job-id>');
      const collab = c.collab();
      const client = c.client();
      let after = a.int('after', { min: 0, max: 2_147_483_647 }) ?? 0;
      for (;;) {
        const page = await client.call('jobLogs', { params: { collab, id }, query: { after } });
        for (const l of page.items) c.out(c.json ? JSON.stringify(l) : `${l.stream.padEnd(7)} ${safe(l.text)}`);
        if (page.truncated && !c.json) c.note('(the log was truncated at its size cap)');
        after = page.nextAfter;
        if (page.items.length) continue;
        if (!a.flag('follow') || page.done) {
          if (!c.json && a.flag('follow')) c.note(`job #${id} ${page.state}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    },
  },
  {
    name: 'jobs cancel',
    args: '<job-id> [--reason R]',
    summary: 'Cancel a job (queued: refunded at once; running: stopped through its runner).',
    options: { reason: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<job-id>');
      const reason = a.str('reason');
      const job = await c.authed().call('cancelJob', { params: { collab: c.collab(), id }, body: reason ? { reason } : {} });
      c.print(job, () => `job #${job.id}: ${job.state}${job.cancelRequested && job.state === 'running' ? ' (its runner was asked to stop)' : ''}${job.refunded ? ', refunded' : ''}`);
    },
  },
  {
    name: 'jobs rerun',
    args: '<job-id>',
    summary: 'Re-run a finished job as a new job.',
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<job-id>');
      const job = await c.authed().call('rerunJob', { params: { collab: c.collab(), id } });
      c.print(job, () => `queued job #${job.id} (re-run of #${id})`);
    },
  },
  {
    name: 'quota',
    summary: 'My job quota: limit, used in the rolling window, remaining, when the next frees up.',
    async run(c, a) {
      a.atMost(0);
      const q = await c.authed().call('myQuota', { params: { collab: c.collab() } });
      c.print(q, () =>
        fields([['remaining', `${q.remaining} of ${q.limit} (${q.base} base + ${q.granted} granted) per ${q.windowHours} h`], ['used', q.used], ['next frees up', when(q.nextFreesAt)]]));
    },
  },
  {
    name: 'quota grant',
    args: '<handle> <extra-jobs> --reason R [--hours H]',
    summary: 'Organizers: extra jobs per rolling window for a participant, for a while.',
    options: { reason: { type: 'string' }, hours: { type: 'string' } },
    async run(c, a) {
      a.atMost(2);
      const handle = a.pos(0, '<handle>').replace(/^@/, '');
      const extra = Number(a.pos(1, '<extra-jobs>'));
      if (!Number.isInteger(extra) || extra < 1 || extra > 10_000) throw new UsageError('<extra-jobs> is a whole number from 1 to 10000');
      const hours = a.int('hours', { min: 1, max: 24 * 365 });
      const g = await c.authed().call('grantQuota', { params: { collab: c.collab() }, body: { handle, extraJobs: extra, reason: a.need('reason'), ...(hours ? { hours } : {}) } });
      c.print(g, () => `granted @${g.participant.handle} ${g.extraJobs} extra jobs until ${when(g.expiresAt)}`);
    },
  },
  {
    name: 'leaderboard',
    args: '[--split public] [--hardware CLASS]',
    summary: 'Pooled scores per fingerprint and hardware class (all runs, duplicates pooled into the original), ranked: 1 + entries wholly above; tiers of ties; the noise floor.',
    options: { split: { type: 'string' }, hardware: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const split = a.str('split');
      const hardware = a.str('hardware');
      const lb = await c.client().call('leaderboard', { params: { collab: c.collab() }, query: { ...(split ? { split } : {}), ...(hardware ? { hardware } : {}) } });
      c.print(lb, () =>
        [
          `${lb.metric.name} (${lb.metric.unit}, ${lb.metric.direction === 'maximize' ? 'higher' : 'lower'} is better), split ${lb.split}, ${Math.round(lb.confidence * 100)}% confidence`,
          lb.items.length
            ? table(lb.items, [
              { header: 'RANK', get: (e) => (e.rank === null ? '-' : e.rank), align: 'right' },
              { header: 'TIER', get: (e) => e.tier, align: 'right' },
              { header: 'SUB', get: (e) => `#s${e.submissionId}` },
              { header: 'AUTHOR', get: (e) => `@${e.author.handle}`, max: 20 },
              { header: lb.ranking.scale === 'log' ? 'GEOMEAN' : 'MEAN', get: (e) => num(e.center), align: 'right' },
              { header: 'CI', get: (e) => (e.ciLow === null ? '-' : `${num(e.ciLow)}..${num(e.ciHigh)}`) },
              { header: 'VS BASE', get: (e) => (e.baselineRatio ? `${num(e.baselineRatio.estimate)}x` : '-'), align: 'right' },
              { header: 'N', get: (e) => e.n, align: 'right' },
              { header: 'JOBS', get: (e) => e.jobs, align: 'right' },
              { header: 'HW', get: (e) => e.hardwareClass, max: 20 },
              { header: 'GUARDRAILS', get: (e) => (e.guardrailsPassed ? (e.unranked ? e.unranked.replaceAll('_', ' ') : 'ok') : `failed: ${e.failedGuardrails.join(',')}`), max: 30 },
              { header: 'VERIFIED', get: (e) => e.verdict ?? '-' },
              { header: 'TITLE', get: (e) => e.title, max: 40 },
            ])
            : 'no results yet',
          ...lb.noiseFloor.map((f) => `noise floor ${f.hardwareClass}: ${f.relativeSampleSd === null ? num(f.sampleSd) : pct(f.relativeSampleSd)} per sample; smallest difference compare can call ${pct(f.minimumDetectable)}, tiers apart ${pct(f.tierSeparation)} (at ${lb.ranking.minJobs} jobs, ${lb.ranking.minSamples} samples)`),
        ].join('\n'));
    },
  },
  {
    name: 'compare',
    args: '<submission-a> <submission-b> [--split public] [--hardware CLASS]',
    summary: 'Is A better than, worse than, or tied with B? Each side pools its fingerprint; the answer carries the interval of the ratio A/B.',
    options: { split: { type: 'string' }, hardware: { type: 'string' } },
    async run(c, a) {
      a.atMost(2);
      const ids = [a.id(0, '<submission-a>'), a.id(1, '<submission-b>')] as const;
      const split = a.str('split');
      const hardware = a.str('hardware');
      const cmp = await c.client().call('compare', { params: { collab: c.collab() }, query: { a: ids[0], b: ids[1], ...(split ? { split } : {}), ...(hardware ? { hardware } : {}) } });
      const what = cmp.scale === 'log' ? 'ratio A/B' : 'difference A-B';
      // Of a private split, participants get no counts (decision 0087).
      const counts = (x: { jobs: number | null; n: number | null }) => (x.jobs === null ? 'counts private' : `${x.jobs} jobs ${x.n} samples`);
      const interval = cmp.ratio.low === null ? 'no interval (too few samples)' : `${num(cmp.ratio.low)}..${num(cmp.ratio.high)}`;
      c.print(cmp, () =>
        `#s${ids[0]} is ${cmp.verdict === 'insufficient' ? 'not comparable yet with' : cmp.verdict === 'tie' ? 'tied with' : `${cmp.verdict} than`} #s${ids[1]}: ${what} ${num(cmp.ratio.estimate)} (${Math.round(cmp.confidence * 100)}%: ${interval}), ` +
        `on ${cmp.basis === 'baseline_ratio' ? 'their ratios to the interleaved baseline' : cmp.metric.name}, ${cmp.hardwareClass}, split ${cmp.split}; ` +
        `A: ${counts(cmp.a)}${cmp.a.pooledAs !== ids[0] ? ` (pooled as #s${cmp.a.pooledAs})` : ''}, B: ${counts(cmp.b)}${cmp.b.pooledAs !== ids[1] ? ` (pooled as #s${cmp.b.pooledAs})` : ''}`);
    },
  },
  {
    name: 'results',
    args: '<submission-id> [--limit N] [--cursor C]',
    summary: 'A submission\'s pooled scores per split and hardware, and its jobs.',
    options: { limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<submission-id>');
      const limit = a.int('limit', { min: 1, max: 100 });
      const cursor = a.str('cursor');
      const res = await c.client().call('submissionResults', { params: { collab: c.collab(), id }, query: { ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) } });
      c.print(res, () =>
        [
          res.pools.length
            ? table(res.pools, [
              { header: 'SPLIT', get: (p) => p.split }, { header: 'HW', get: (p) => p.hardwareClass },
              { header: 'MEAN', get: (p) => num(p.mean), align: 'right' }, { header: 'CI', get: (p) => (p.ciLow === null ? '-' : `${num(p.ciLow)}..${num(p.ciHigh)}`) },
              { header: 'N', get: (p) => p.n, align: 'right' }, { header: 'JOBS', get: (p) => p.jobs, align: 'right' },
              { header: 'GUARDRAILS', get: (p) => (p.guardrailsPassed ? 'ok' : 'FAILED') },
            ])
            : `#s${id}: no results yet`,
          ...(res.items.length ? ['', table(res.items, [
            { header: 'JOB', get: (j) => `#${j.id}`, align: 'right' }, { header: 'SPLIT', get: (j) => j.split }, { header: 'STATE', get: (j) => j.state },
            { header: 'FINISHED', get: (j) => when(j.finishedAt) }, { header: 'REASON', get: (j) => j.reason, max: 60 },
          ])] : []),
        ].join('\n') + nextPage(res.nextCursor));
    },
  },
];
