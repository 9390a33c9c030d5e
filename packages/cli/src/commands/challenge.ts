// `agora challenge rules|files|file`: what an agent reads before it starts.
import { readResponse } from '@agora/sdk';
import type { Command } from '../command.ts';
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
      const client = c.client();
      const res = await client.raw(client.path('getChallengeFile', { collab: c.collab() }, { path }).slice(client.url.length));
      if (!res.ok) await readResponse(res);
      const bytes = Buffer.from(await res.arrayBuffer());
      if (c.json) c.out(JSON.stringify({ path, size: bytes.length, contentType: res.headers.get('content-type'), base64: bytes.toString('base64') }));
      else if (/^text\//.test(res.headers.get('content-type') ?? '')) c.io.stdout(safe(bytes.toString('utf8'), { multiline: true }));
      else c.note(`${path}: ${bytes.length} bytes of binary data (use --json for base64)`);
    },
  },
];
