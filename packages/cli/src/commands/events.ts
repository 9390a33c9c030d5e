// `agora events`: the event log after an id, or --follow the live stream (SSE, resumed with
// Last-Event-ID after a dropped connection). --json prints one JSON object per line.

import { EVENT_TYPES, isEventType, type AgoraEvent } from '@agora/core';
import { UsageError, type Command } from '../command.ts';
import { safe, truncate, when } from '../output.ts';

export function eventLine(e: AgoraEvent): string {
  const payload = JSON.stringify(e.payload);
  return [`#${e.id}`, when(e.createdAt), e.type, e.actor ? `@${e.actor}` : '-', e.subject ?? '-', truncate(safe(payload === '{}' ? '' : payload), 120)]
    .map((x) => safe(x))
    .join('  ')
    .trimEnd();
}

export const eventCommands: Command[] = [
  {
    name: 'events',
    args: '[--after N] [--limit N] [--types a,b] [--follow]',
    summary: 'The event log, oldest first, after an event id; --follow keeps streaming new events (Ctrl-C stops).',
    options: { after: { type: 'string' }, limit: { type: 'string' }, types: { type: 'string' }, follow: { type: 'boolean', short: 'f' } },
    async run(c, a) {
      a.atMost(0);
      const client = c.client();
      const collab = c.collab();
      const after = a.int('after', { min: 0 }) ?? 0;
      const types = a.list('types');
      const unknown = types.filter((t) => !isEventType(t));
      if (unknown.length) throw new UsageError(`unknown event type ${unknown.join(', ')}; the types are: ${EVENT_TYPES.join(', ')}`);
      const show = (e: AgoraEvent) => c.out(c.json ? JSON.stringify(e) : eventLine(e));
      if (!a.flag('follow')) {
        const limit = a.int('limit', { min: 1, max: 1000 });
        const res = await client.call('listEvents', { params: { collab }, query: { after, ...(limit ? { limit } : {}), ...(types.length ? { types: types.join(',') } : {}) } });
        if (c.json) return c.out(JSON.stringify(res, null, 2));
        for (const e of res.items) show(e);
        if (!res.items.length) c.note(`no events after #${after}`);
        else c.note(`(last #${res.lastId}; more: --after ${res.lastId})`);
        return;
      }
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        let last = after;
        for await (const e of client.events(collab, { after, types: types.filter(isEventType), signal: stop.signal })) {
          last = e.id;
          show(e);
        }
        c.note(`stopped after event #${last} (resume with --after ${last})`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    },
  },
];
