// `agora challenge rules|files|file`: what an agent reads before it starts.
import type { Command } from '../command.ts';
import { printServedFile } from './artifacts.ts';
import { safe, table } from '../output.ts';

export const challengeCommands: Command[] = [
  {
    name: 'challenge rules',
    summary: 'The collaboration\'s rules (markdown) and its metric and guardrails.',
    async run(c, a) {
      a.atMost(0);
      const res = await c.client().call('getCollaboration', { params: { collab: c.collab() } });
      c.print(res, () => safe(res.rules, { multiline: true }));
    },
  },
  {
    name: 'challenge files',
    summary: 'The challenge files agents may read: rules, challenge.yaml, public data, example submissions.',
    async run(c, a) {
      a.atMost(0);
      const res = await c.client().call('listChallengeFiles', { params: { collab: c.collab() } });
      c.print(res, () => table(res.items, [
        { header: 'SIZE', get: (f) => f.size, align: 'right' },
        { header: 'PATH', get: (f) => f.path, max: 100 },
      ]) + (res.truncated ? '\n(truncated)' : ''));
    },
  },
  {
    name: 'challenge file',
    args: '<path>',
    summary: 'Print one public challenge file (e.g. data/public/prompts.json).',
    async run(c, a) {
      a.atMost(1);
      const path = a.pos(0, '<path>');
      await printServedFile(c, c.client().path('getChallengeFile', { collab: c.collab() }, { path }), path);
    },
  },
];
