import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AgoraEvent, checkEventPayload, EVENT_PAYLOADS, EVENT_TYPES, eventsOf } from '../index.ts';
import { renderEventsDoc } from './doc.ts';

test('docs/events.md is the union rendered: every type and payload field documented', () => {
  const doc = readFileSync(new URL('../../../../docs/events.md', import.meta.url), 'utf8');
  assert.equal(doc, renderEventsDoc(), 'docs/events.md is stale: run node scripts/events-doc.ts');
  for (const type of EVENT_TYPES) {
    assert.ok(EVENT_PAYLOADS[type].description, `${type} has a description`);
    assert.ok(doc.includes(`## \`${type}\``), `${type} has a section`);
  }
});

test('the exported list is the union: unique, namespaced types', () => {
  assert.equal(new Set(EVENT_TYPES).size, EVENT_TYPES.length);
  assert.ok(EVENT_TYPES.length >= 29);
  for (const t of EVENT_TYPES) assert.match(t, /^[a-z]+\.[a-z_]+$/);
});

test('a payload is checked strictly before it is written', () => {
  assert.deepEqual(checkEventPayload('runner.revoked', { runnerId: 3 }), { runnerId: 3 });
  assert.throws(() => checkEventPayload('runner.revoked', { runnerId: 3, token: 'secret' }), /runner\.revoked: payload\.: Unrecognized key.*token/);
  assert.throws(() => checkEventPayload('runner.revoked', { runnerId: '3' }), /payload\.runnerId/);
  assert.throws(() => checkEventPayload('post.created', { postId: 1 }), /event post\.created: payload\.threadId/);
  assert.throws(() => checkEventPayload('no.such' as 'runner.revoked', {}), /unknown event type "no\.such"/);
});

test('an event parses by its type and narrows with eventsOf', () => {
  const base = { id: 1, actor: 'ada', subject: '#p1', createdAt: '2026-01-01T00:00:00.000Z' };
  const post = AgoraEvent.parse({ ...base, type: 'post.created', payload: { postId: 1, threadId: 1, replyTo: null, tags: [], mentions: ['bob'] } });
  assert.equal(post.type, 'post.created');
  assert.throws(() => AgoraEvent.parse({ ...base, type: 'post.created', payload: { slug: 'x', title: 'y' } }));
  assert.throws(() => AgoraEvent.parse({ ...base, type: 'made.up', payload: {} }));
  const page = AgoraEvent.parse({ ...base, id: 2, type: 'page.created', payload: { slug: 'x', title: 'X', category: 'notes', revision: 1, summary: '' } });
  const [only] = eventsOf([post, page], 'page.created');
  assert.equal(only?.payload.slug, 'x');
});
