// `agora runner create|list|revoke` (runner tokens, through the API) and
// `agora runner start|export|run-offline|upload` (the runner itself, from @agora/runner).

import type { Command } from '../command.ts';
import { UsageError } from '../command.ts';
import { table, when } from '../output.ts';

/** The runner process's own commands take their own arguments; the server defaults to the profile's. */
const delegated = (sub: string): Command => ({
  name: `runner ${sub}`,
  args: '... (see `agora runner start --help`)',
  summary: {
    start: 'Run a runner on this host: claims jobs whose labels it satisfies (--server, --token or $AGORA_RUNNER_TOKEN, --labels).',
    export: 'Offline hosts: claim a job with a long lease and write it to a folder.',
    'run-offline': 'Offline hosts: run an exported job folder.',
    upload: 'Offline hosts: upload an exported job\'s result.',
  }[sub]!,
  raw: true,
  async run(c, a) {
    const args = [...a.positionals];
    if (!args.includes('--server') && !c.env.AGORA_URL && !args.includes('--help') && !args.includes('-h') && sub !== 'run-offline') {
      const url = c.resolved().url;
      if (url) args.push('--server', url);
    }
    const { runnerMain } = await import('@agora/runner');
    return runnerMain(sub === 'start' ? args : [sub, ...args], (line) => c.note(line));
  },
});

export const runnerCommands: Command[] = [
  {
    name: 'runner create',
    args: '--name N --labels cpu[,x86] [--for SLUG]...',
    summary: 'Register a runner (server admins; organizers for their collaborations); its token is shown once.',
    options: { name: { type: 'string' }, labels: { type: 'string' }, for: { type: 'string', multiple: true } },
    async run(c, a) {
      a.atMost(0);
      const labels = a.list('labels');
      if (!labels.length) throw new UsageError('missing --labels (what the host offers, e.g. cpu or gpu,h100)');
      const only = a.list('for');
      const res = await c.authed().call('createRunner', { body: { name: a.need('name'), labels, collaborations: only.length ? only : null } });
      c.print(res, () => `runner #${res.runnerId}; token (shown once):\n  ${res.token}\nstart it: AGORA_RUNNER_TOKEN=<token> ${c.cmd(`runner start --labels ${labels.join(',')}`)}`);
    },
  },
  {
    name: 'runner list',
    summary: 'Runners, their labels and last heartbeat (server admins).',
    async run(c, a) {
      a.atMost(0);
      const res = await c.authed().call('listRunners');
      c.print(res, () =>
        table(res.items, [
          { header: 'ID', get: (r) => `#${r.id}`, align: 'right' },
          { header: 'NAME', get: (r) => r.name, max: 40 },
          { header: 'LABELS', get: (r) => r.labels.join(',') },
          { header: 'FOR', get: (r) => r.collaborations?.join(',') ?? 'all' },
          { header: 'LAST SEEN', get: (r) => when(r.lastSeenAt) },
          { header: 'REVOKED', get: (r) => when(r.revokedAt) },
        ]));
    },
  },
  {
    name: 'runner revoke',
    args: '<runner-id>',
    summary: 'Revoke a runner: its token stops working, its leases expire and are re-queued.',
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<runner-id>');
      const res = await c.authed().call('revokeRunner', { params: { id } });
      c.print(res, () => `revoked runner #${id}`);
    },
  },
  ...['start', 'export', 'run-offline', 'upload'].map(delegated),
];
