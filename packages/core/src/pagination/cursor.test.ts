import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cursorCodec } from './cursor.ts';
import { AgoraError } from '../errors.ts';

const posts = cursorCodec('posts', ['int']);
const ranked = cursorCodec('search', ['string', 'int']);
const encodeRaw = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

test('round-trips the values it encoded; no cursor is the first page', () => {
  assert.deepEqual(posts.decode(posts.encode([42])), [42]);
  assert.deepEqual(ranked.decode(ranked.encode(['0.500000', 7])), ['0.500000', 7]);
  assert.equal(posts.decode(undefined), null);
  assert.equal(posts.decode(null), null);
  assert.equal(posts.decode(''), null);
});

const refused: Array<[string, string]> = [
  ['not base64 JSON', 'garbage!'],
  ['JSON but not an array', encodeRaw({ a: 1 })],
  ['another list’s cursor', cursorCodec('jobs', ['int']).encode([42])],
  ['no kind', encodeRaw([42])],
  ['too many fields', encodeRaw(['posts', 1, 2])],
  ['a string where an int goes', encodeRaw(['posts', '1; drop'])],
  ['a negative int', encodeRaw(['posts', -1])],
  ['a fraction', encodeRaw(['posts', 1.5])],
  ['an int past 32 bits', encodeRaw(['posts', 2_147_483_648])],
  ['a string past 100 characters', encodeRaw(['search', 'x'.repeat(101), 1])],
];
for (const [what, cursor] of refused) {
  test(`refuses ${what} as validation_failed`, () => {
    assert.throws(() => (what.includes('string past') ? ranked : posts).decode(cursor), (err: unknown) =>
      err instanceof AgoraError && err.code === 'validation_failed' && /cursor/.test(err.message));
  });
}
