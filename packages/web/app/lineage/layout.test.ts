import assert from 'node:assert/strict';
import { test } from 'node:test';
import { layeredLayout } from './layout.ts';

test('every node sits below all of its parents, one layer below the deepest', () => {
  const ids = [1, 2, 3, 4, 5, 6];
  const parents = [[], [1], [1], [2, 3], [4], [1, 5]];
  const { xy, layers } = layeredLayout({ ids, parents });
  const y = (id: number) => xy[2 * ids.indexOf(id) + 1]!;
  assert.deepEqual(ids.map(y), [0, 1, 1, 2, 3, 4]);
  assert.equal(layers, 5);
  for (const [i, ps] of parents.entries()) for (const p of ps) assert.ok(y(ids[i]!) > y(p));
});

test('no two nodes share a place, and a crossing is undone by the sweeps', () => {
  // Two chains whose second layer starts crossed: a->d, b->c.
  const { xy } = layeredLayout({ ids: [1, 2, 3, 4], parents: [[], [], [2], [1]] });
  const at = new Set<string>();
  for (let i = 0; i < 4; i++) at.add(`${xy[2 * i]},${xy[2 * i + 1]}`);
  assert.equal(at.size, 4);
  // 4's parent (1) is left of 3's parent (2), so 4 ends left of 3.
  assert.ok(xy[2 * 3]! < xy[2 * 2]!, 'children follow their parents\' order');
});

test('parents outside the set are ignored, and a cycle (which the API never sends) still terminates', () => {
  const out = layeredLayout({ ids: [1, 2], parents: [[99], [1]] });
  assert.equal(out.layers, 2);
  const cyc = layeredLayout({ ids: [1, 2, 3], parents: [[], [3], [2]] });
  assert.equal(cyc.xy.length, 6);
});
