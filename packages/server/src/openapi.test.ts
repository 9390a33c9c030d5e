// /openapi.json under a well-kept linter's recommended rules (Redocly's): no error, no warning.
// Generated clients then type the error bodies, the runner routes name their own scheme, and
// binary and streaming answers are described as what they are.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { routes, streamRoutes } from '@agora/core';
import { openApiDocument } from './openapi.ts';

test('the OpenAPI document is clean under Redocly recommended', async () => {
  const doc = openApiDocument('0.0.0-test', 'http://127.0.0.1:4180');
  const config = await createConfig({ extends: ['recommended'] });
  const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: 'openapi.json', config });
  const listed = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? '?'}`);
  assert.deepEqual(listed, []);
});

test('every operation documents its typed errors; runner, binary and stream routes are described truly', () => {
  const doc = openApiDocument('0.0.0-test') as unknown as { paths: Record<string, Record<string, { operationId: string; security: unknown[]; responses: Record<string, { content?: Record<string, unknown> }> }>> };
  const ops = Object.values(doc.paths).flatMap((p) => Object.values(p));
  assert.equal(ops.length, Object.keys(routes).length + Object.keys(streamRoutes).length, 'every route and both streams');
  for (const op of ops) assert.ok(Object.keys(op.responses).some((s) => /^4\d\d$/.test(s)), `${op.operationId} documents a 4XX`);
  const byId = new Map(ops.map((o) => [o.operationId, o]));
  assert.deepEqual(byId.get('claimJob')!.security, [{ runnerToken: [] }]);
  assert.ok(byId.get('downloadBundle')!.responses['200']!.content!['application/gzip']);
  assert.ok(byId.get('joinDocument')!.responses['200']!.content!['text/markdown']);
  assert.ok(byId.get('eventStream')!.responses['200']!.content!['text/event-stream']);
});
