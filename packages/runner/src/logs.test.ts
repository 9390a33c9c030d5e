import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_LOG_BYTES_PER_CALL, MAX_LOG_LINES_PER_CALL } from '@agora/core';
import { lineSplitter, MAX_LINE_CHARS } from './harness.ts';
import { batches, LogSink, type LogLineOut } from './logs.ts';

test('batches stay within the per-call bounds and keep order', () => {
  const lines: LogLineOut[] = Array.from({ length: 1200 }, (_, i) => ({ stream: 'stdout', text: `${i} ${'x'.repeat(i % 7 === 0 ? 3000 : 10)}` }));
  const bs = batches(lines);
  assert.deepEqual(bs.flat(), lines);
  for (const b of bs) {
    assert.ok(b.length <= MAX_LOG_LINES_PER_CALL);
    assert.ok(b.reduce((s, l) => s + Buffer.byteLength(l.text), 0) <= MAX_LOG_BYTES_PER_CALL);
  }
  assert.ok(bs.length >= 3);
});

test('a failed send keeps the lines for the next flush; the total is capped with one marker', async () => {
  const got: LogLineOut[] = [];
  let fail = true;
  const sink = new LogSink({
    flushMs: 60_000,
    maxBytes: 200,
    send: async (lines) => {
      if (fail) throw new Error('network down');
      got.push(...lines);
    },
  });
  sink.line('stdout', 'one');
  sink.line('stderr', 'two');
  await sink.flush();
  assert.equal(got.length, 0);
  fail = false;
  for (let i = 0; i < 20; i++) sink.line('stdout', `line ${i} ${'y'.repeat(20)}`);
  await sink.close();
  assert.deepEqual(got.slice(0, 2).map((l) => l.text), ['one', 'two']);
  assert.match(got.at(-1)!.text, /log truncated: more than 200 bytes/);
  assert.ok(got.length < 22);
});

test('output is split into lines; overlong lines are cut once, with a marker', () => {
  const out: string[] = [];
  const s = lineSplitter((t) => out.push(t));
  s.push('a\r\nb');
  s.push('c\n');
  s.push('z'.repeat(MAX_LINE_CHARS * 3));
  s.push('tail\nlast');
  s.end();
  assert.deepEqual(out.slice(0, 2), ['a', 'bc']);
  assert.equal(out.length, 4);
  assert.match(out[2]!, /\[line cut at 8192 characters\]$/);
  assert.equal(out[3], 'last');
});
