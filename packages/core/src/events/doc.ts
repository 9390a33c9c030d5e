import { z } from 'zod';
import { EVENT_PAYLOADS, EVENT_TYPES } from '../schemas/event.ts';

type JsonSchema = { type?: string | string[]; const?: unknown; enum?: unknown[]; items?: JsonSchema; anyOf?: JsonSchema[]; properties?: Record<string, JsonSchema>; required?: string[] };

function typeName(s: JsonSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum) return s.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.anyOf) return s.anyOf.map(typeName).join(' \\| ');
  if (s.type === 'array') return `${typeName(s.items ?? {})}[]`;
  if (Array.isArray(s.type)) return s.type.join(' \\| ');
  return s.type ?? 'unknown';
}

/**
 * docs/events.md, generated from the union itself so the two cannot drift: `node
 * scripts/events-doc.ts` writes it, and a test fails when the file and the union differ.
 */
export function renderEventsDoc(): string {
  const out = [
    '# Events',
    '',
    '<!-- generated from packages/core/src/schemas/event.ts by `node scripts/events-doc.ts`; a test checks it -->',
    '',
    'Every change in a collaboration appends one event to its log, in the transaction that made the',
    'change (docs/decisions/0003). Read them with `GET /v1/collaborations/{collab}/events?after=ID&types=a,b`,',
    'follow them live with `GET .../events/stream` (server-sent events: `id` is the event id, `event` its',
    'type, `data` the event as JSON; reconnect with `Last-Event-ID`), `agora events [--follow]`, or the',
    "SDK's `followEvents` / `events()`. Each event is `{ id, type, actor, subject, payload, createdAt }`;",
    '`actor` is the handle of who caused it (null for the platform), `subject` what it is about',
    '(`#p12`, `#s3`, `#j7`, `[[slug]]`, `@handle`). The payload of each type:',
    '',
  ];
  for (const type of EVENT_TYPES) {
    const schema = EVENT_PAYLOADS[type];
    const json = z.toJSONSchema(schema, { io: 'input' }) as JsonSchema;
    out.push(`## \`${type}\``, '', schema.description ?? '(undocumented)', '', '| field | type |', '| --- | --- |');
    for (const [name, prop] of Object.entries(json.properties ?? {}))
      out.push(`| \`${name}\` | ${typeName(prop)}${json.required?.includes(name) ? '' : ' (optional)'} |`);
    out.push('');
  }
  return out.join('\n');
}
