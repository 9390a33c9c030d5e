import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalisePageBody } from './body.ts';
import { diffLines, formatUnified } from './diff.ts';

test('normalisePageBody: a final newline is added once, nothing else changes', () => {
  assert.equal(normalisePageBody('one\ntwo'), 'one\ntwo\n');
  assert.equal(normalisePageBody('one\ntwo\n'), 'one\ntwo\n');
  assert.equal(normalisePageBody('one\r\n'), 'one\r\n');
  assert.equal(normalisePageBody(''), '');
});

test('bodies stored normalised diff only what changed', () => {
  const d = diffLines(normalisePageBody('a\nb'), normalisePageBody('a\nb\nc'));
  const text = formatUnified(d, 'r1', 'r2');
  assert.doesNotMatch(text, /No newline at end of file/);
  assert.doesNotMatch(text, /^-b$/m, 'the unchanged line is not shown as removed');
  assert.match(text, /^\+c$/m);
});
