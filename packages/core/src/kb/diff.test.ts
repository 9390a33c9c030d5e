import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyHunks, diffLines, formatUnified, splitLines } from './diff.ts';

/** Length of a longest common subsequence of lines, by the textbook dynamic programme. */
function lcsLength(a: string[], b: string[]): number {
  const dp = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--) dp[i]![j] = a[i] === b[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  return dp[0]![0]!;
}

const key = (text: string) => splitLines(text).map((l) => (l.eol ? l.text : `${l.text}\n`));

/** A small deterministic PRNG, so a failure reproduces. */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

describe('diffLines', () => {
  test('identical texts have no hunks', () => {
    const d = diffLines('a\nb\n', 'a\nb\n');
    assert.deepEqual(d.hunks, []);
    assert.equal(d.added + d.removed, 0);
    assert.equal(formatUnified(d, 'x@1', 'x@2'), '');
  });

  test('one changed line in the middle, with three lines of context, as diff -u prints it', () => {
    const old = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\n';
    const neu = 'l1\nl2\nl3\nl4\nL5\nl6\nl7\nl8\nl9\n';
    const d = diffLines(old, neu);
    assert.equal(formatUnified(d, 'p@1', 'p@2'), [
      '--- p@1', '+++ p@2', '@@ -2,7 +2,7 @@', ' l2', ' l3', ' l4', '-l5', '+L5', ' l6', ' l7', ' l8', '',
    ].join('\n'));
    assert.equal(d.added, 1);
    assert.equal(d.removed, 1);
    assert.equal(d.minimal, true);
  });

  test('changes far apart make two hunks; close together, one', () => {
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`);
    const far = [...lines];
    far[2] = 'changed 3';
    far[25] = 'changed 26';
    const d = diffLines(`${lines.join('\n')}\n`, `${far.join('\n')}\n`);
    assert.equal(d.hunks.length, 2);
    assert.deepEqual(d.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines]), [[1, 6, 1, 6], [23, 7, 23, 7]]);
    const near = [...lines];
    near[10] = 'x';
    near[16] = 'y'; // 5 equal lines between: within 2 * 3 of context, so merged
    assert.equal(diffLines(`${lines.join('\n')}\n`, `${near.join('\n')}\n`).hunks.length, 1);
  });

  test('empty texts and pure insertions or deletions use line 0 for an empty side', () => {
    assert.equal(formatUnified(diffLines('', 'a\nb\n'), 'o', 'n'), '--- o\n+++ n\n@@ -0,0 +1,2 @@\n+a\n+b\n');
    assert.equal(formatUnified(diffLines('a\n', ''), 'o', 'n'), '--- o\n+++ n\n@@ -1 +0,0 @@\n-a\n');
    const d = diffLines('a\nb\nc\nd\ne\nf\ng\nh\n', 'a\nb\nc\nd\nnew\ne\nf\ng\nh\n');
    assert.deepEqual(d.hunks[0], { oldStart: 2, oldLines: 6, newStart: 2, newLines: 7, lines: [' b', ' c', ' d', '+new', ' e', ' f', ' g'] });
    const ins = diffLines('a\nb\nc\nd\n', 'a\nb\nc\nd\ne\n');
    assert.deepEqual([ins.hunks[0]!.oldStart, ins.hunks[0]!.oldLines], [2, 3]);
    const noCtx = diffLines('a\nb\n', 'a\nx\nb\n', { context: 0 });
    assert.deepEqual(noCtx.hunks[0], { oldStart: 1, oldLines: 0, newStart: 2, newLines: 1, lines: ['+x'] });
  });

  test('a missing final newline is a change, marked as diff does', () => {
    const d = diffLines('a\nb', 'a\nb\n');
    assert.equal(formatUnified(d, 'o', 'n'), '--- o\n+++ n\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n');
    assert.equal(applyHunks('a\nb', d.hunks), 'a\nb\n');
  });

  test('unicode, CRLF and markup are compared and carried as written', () => {
    const old = 'héllo 👋\r\n<script>alert(1)</script>\r\nzero\u200bwidth\n';
    const neu = 'héllo 👋\r\n<script>alert(2)</script>\r\nzero\u200bwidth\n';
    const d = diffLines(old, neu);
    assert.deepEqual(d.hunks[0]!.lines, [' héllo 👋\r', '-<script>alert(1)</script>\r', '+<script>alert(2)</script>\r', ' zero\u200bwidth']);
    assert.equal(applyHunks(old, d.hunks), neu);
  });

  test('random edits: the diff applies back, and is minimal (its size matches the LCS)', () => {
    const rand = rng(42);
    const alphabet = ['a', 'b', 'c', 'd', 'e', ''];
    const randomText = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rand() * alphabet.length)]).join('\n') + (rand() < 0.5 ? '\n' : '');
    for (let i = 0; i < 300; i++) {
      const old = randomText(Math.floor(rand() * 25));
      const neu = rand() < 0.3 ? randomText(Math.floor(rand() * 25)) : old.split('\n').map((l) => (rand() < 0.2 ? alphabet[Math.floor(rand() * 5)] : l)).join('\n');
      for (const context of [0, 1, 3]) {
        const d = diffLines(old, neu, { context });
        assert.equal(applyHunks(old, d.hunks), neu, `case ${i}: ${JSON.stringify([old, neu])}`);
        const lcs = lcsLength(key(old), key(neu));
        assert.equal(d.removed, key(old).length - lcs, `case ${i}: not minimal`);
        assert.equal(d.added, key(neu).length - lcs, `case ${i}: not minimal`);
      }
    }
  });

  test('past the edit budget the diff is coarser but still correct', () => {
    const old = Array.from({ length: 400 }, (_, i) => `o${i}`).join('\n');
    const neu = Array.from({ length: 400 }, (_, i) => (i % 2 ? `o${i}` : `n${i}`)).join('\n');
    const d = diffLines(old, neu, { maxEdits: 10 });
    assert.equal(d.minimal, false);
    assert.equal(applyHunks(old, d.hunks), neu);
    const full = diffLines(old, neu);
    assert.equal(full.minimal, true);
    assert.equal(full.added, 200);
    assert.ok(d.added > full.added);
  });

  test('the work budget bounds adversarial texts, and the result still applies', () => {
    const old = Array.from({ length: 600 }, (_, i) => String(i % 7)).join('\n');
    const neu = Array.from({ length: 600 }, (_, i) => String((i * 3) % 7)).join('\n');
    const d = diffLines(old, neu, { maxWork: 10_000 });
    assert.equal(d.minimal, false);
    assert.equal(applyHunks(old, d.hunks), neu);
    assert.equal(diffLines(old, neu).minimal, true);
  });

  test('a page-sized body with scattered edits diffs correctly', () => {
    const old = Array.from({ length: 5000 }, (_, i) => `paragraph ${i} about int4 lm_head and spec decode`).join('\n');
    const neu = old.split('\n').map((l, i) => (i % 97 === 0 ? `${l} (edited)` : l)).join('\n');
    const d = diffLines(old, neu);
    assert.equal(d.added, 52);
    assert.equal(d.removed, 52);
    assert.equal(applyHunks(old, d.hunks), neu);
  });

  test('applyHunks refuses hunks that do not match the text', () => {
    const d = diffLines('a\nb\nc\n', 'a\nB\nc\n');
    assert.throws(() => applyHunks('a\nX\nc\n', d.hunks), /does not match/);
  });
});
