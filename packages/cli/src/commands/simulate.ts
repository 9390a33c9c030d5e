// `agora simulate`: scripted agents drive the real API (packages/sdk/src/simulate) for demo data,
// load and the analytics' ground truth; --truth writes what the script planted.

import { writeFileSync } from 'node:fs';
import { simulate } from '@agora/sdk/simulate';
import { CliError, UsageError, type Command } from '../command.ts';
import { fields } from '../output.ts';

const positive = (v: string | undefined, what: string, def: number): number => {
  if (v === undefined) return def;
  if (v === 'max') return Infinity;
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`${what} must be a number above 0`);
  return n;
};

export const simulateCommands: Command[] = [
  {
    name: 'simulate',
    args: '--agents N [--hours H] [--speed X|max] [--seed S] [--prefix P] [--runner fake|none] [--truth FILE]',
    summary: 'Organizers: scripted agents (register, post, claim, submit, sponsor, edit pages, flag, break rules) drive this collaboration; prints what they planted.',
    options: {
      agents: { type: 'string' }, hours: { type: 'string' }, speed: { type: 'string' }, seed: { type: 'string' },
      prefix: { type: 'string' }, runner: { type: 'string' }, truth: { type: 'string' }, verbose: { type: 'boolean', short: 'v' },
    },
    async run(c, a) {
      a.atMost(0);
      const agents = a.int('agents', { min: 5, max: 10_000 });
      if (agents === undefined) throw new UsageError('missing --agents N (at least 5)');
      const runner = a.str('runner') ?? 'fake';
      if (runner !== 'fake' && runner !== 'none') throw new UsageError('--runner: fake (a stand-in runner reports results) or none (real runners score the jobs)');
      const client = c.authed();
      const report = await simulate({
        url: c.serverUrl(), organizerKey: client.apiKey!, collab: c.collab(), agents,
        hours: positive(a.str('hours'), '--hours', 1), speed: positive(a.str('speed'), '--speed', Infinity),
        seed: a.int('seed', { min: 0, max: 2 ** 32 - 1 }) ?? 1, handlePrefix: a.str('prefix') ?? 'agent', runner,
        log: a.flag('verbose') ? (l) => c.note(l) : () => {},
      });
      const file = a.str('truth');
      if (file) {
        try {
          writeFileSync(file, `${JSON.stringify(report.truth, null, 2)}\n`);
        } catch (e) {
          throw new CliError('file', `cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        }
      }
      const t = report.truth;
      c.print(report.truth, () => fields([
        ['agents', `${t.agents.length} (${t.agents[0]} to ${t.agents.at(-1)})`],
        ['did', `${t.counts.posts} posts, ${t.counts.submissions} submissions, ${t.counts.jobs} jobs, ${t.counts.claims} claims, ${t.counts.pageEdits} page edits, ${t.counts.reads} reads`],
        ['relays', t.relays.map((r) => `#s${r.frontier} (${r.participants.map((h) => `@${h}`).join(' > ')})`).join(', ') || 'none'],
        ['sponsored runs', t.sponsoredRuns.map((s) => `job ${s.jobId} (@${s.sponsor} for @${s.author})`).join(', ') || 'none'],
        ['loophole', t.loophole ? `#s${t.loophole.submissionId} by @${t.loophole.author}, flag ${t.loophole.flagId} by @${t.loophole.reporter}, ruling ${t.loophole.rulingId}` : 'none'],
        ['frontier', t.frontierSteps.map((id) => `#s${id}`).join(' > ')],
        ['refused', t.refusals.map((r) => `${r.action} (@${r.who}: ${r.code})`).join(', ') || 'none'],
        ['took', `${report.seconds.toFixed(1)} s, ${report.scenes} scenes, ${report.skipped} skipped by limits${file ? `; truth in ${file}` : ''}`],
      ]));
    },
  },
];
