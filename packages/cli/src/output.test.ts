import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fields, safe, table, truncate } from './output.ts';

describe('terminal output', () => {
  test('control, C1 and bidi characters are made visible; newlines only where text is multi-line', () => {
    assert.equal(safe('a\u001b[2Jb'), 'a\\u001b[2Jb');
    assert.equal(safe('x\u009b31m'), 'x\\u009b31m');
    assert.equal(safe('\u202eexe.txt'), '\\u202eexe.txt');
    assert.equal(safe('one\ntwo\r\nthree\u0007 \r'), 'one two three\\u0007 \\u000d');
    assert.equal(safe('one\ntwo\tx', { multiline: true }), 'one\ntwo\tx');
    assert.equal(safe('héllo 日本 ✓'), 'héllo 日本 ✓');
  });

  test('tables align columns, cut long cells with an ellipsis, show empty cells as "-"', () => {
    const out = table(
      [{ id: 1, name: 'ada', note: 'x'.repeat(50) }, { id: 12, name: null, note: 'short' }],
      [
        { header: 'ID', get: (r) => r.id, align: 'right' },
        { header: 'NAME', get: (r) => r.name },
        { header: 'NOTE', get: (r) => r.note, max: 10 },
      ],
    ).split('\n');
    assert.deepEqual(out, ['ID  NAME  NOTE', ' 1  ada   xxxxxxxxx…', '12  -     short']);
    assert.equal(truncate('😀😀😀', 2), '😀…');
    assert.equal(fields([['a', 1], ['long key', null]]), 'a:        1\nlong key: -');
  });
});
