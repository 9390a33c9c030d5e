import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReferences } from './references.ts';

test('finds mentions, submissions, posts and pages, deduplicated in order', () => {
  const r = parseReferences('@alice see #s12 and #s3, #s12 again; [[lever-map]] and #p7 cc @Bob_2 @alice');
  assert.deepEqual(r, { mentions: ['alice', 'bob_2'], submissions: [12, 3], pages: ['lever-map'], posts: [7] });
});

test('emails, words and anchors are not references', () => {
  const r = parseReferences('mail a@b.com, x#s1, foo#p2, &#s3; http://x/#s4 [[Not A Slug]] [[ ]] @a');
  assert.deepEqual(r, { mentions: [], submissions: [], pages: [], posts: [] });
});

test('punctuation around references is fine', () => {
  const r = parseReferences('(@carol), "#s5". [[dead-ends]]! @dave: #p9?');
  assert.deepEqual(r, { mentions: ['carol', 'dave'], submissions: [5], pages: ['dead-ends'], posts: [9] });
});

test('nothing inside code counts', () => {
  const md = [
    'real @erin',
    '```python',
    '@torch.compile',
    'x = "#s1 [[page]]"',
    '```',
    'inline `@frank #s2` and ``a ` @gina`` done',
    '',
    '    @indented #s3',
    'after #s4',
  ].join('\n');
  assert.deepEqual(parseReferences(md), { mentions: ['erin'], submissions: [4], pages: [], posts: [] });
});

test('ids out of range or zero are plain text', () => {
  assert.deepEqual(parseReferences('#s0 #s9999999999 #s2147483647').submissions, [2147483647]);
});

test('unicode neighbours do not make references', () => {
  const r = parseReferences('é@bob ü#s1 @bob\u00e9 日本@carol 日本 @dan');
  assert.deepEqual(r.mentions, ['dan']);
  assert.deepEqual(r.submissions, []);
});
