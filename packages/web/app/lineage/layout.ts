/**
 * A layered layout of the lineage DAG (the Sugiyama scheme, cut down): each submission sits one
 * layer below its deepest parent, layers are ordered by the barycentre of parents (then of
 * children) over a few sweeps to uncross edges, and each layer is centred. Linear in nodes and
 * edges per sweep: 5,000 nodes lay out in tens of milliseconds, off the main thread (worker.ts).
 * Pure, for the worker and the unit test.
 */
export interface LayoutInput {
  ids: number[];
  /** parents[i]: the ids of node i's parents (ids not in `ids` are ignored). */
  parents: number[][];
}

export interface LayoutOutput {
  /** x, y per node, in the order of `ids`; y is the layer (0 at the top), x the place in it. */
  xy: Float64Array;
  layers: number;
  width: number;
}

export function layeredLayout(input: LayoutInput, sweeps = 4): LayoutOutput {
  const n = input.ids.length;
  const index = new Map<number, number>();
  input.ids.forEach((id, i) => index.set(id, i));
  const parents: number[][] = input.parents.map((ps) => ps.map((p) => index.get(p)).filter((p): p is number => p !== undefined));
  const children: number[][] = Array.from({ length: n }, () => []);
  parents.forEach((ps, i) => ps.forEach((p) => children[p]!.push(i)));

  // Layers by longest path from a root, in topological order (Kahn); a cycle, which the API
  // cannot produce, would leave nodes unvisited: they go on the last layer rather than hang.
  const layer = new Int32Array(n);
  const pending = new Int32Array(n);
  parents.forEach((ps, i) => (pending[i] = ps.length));
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (pending[i] === 0) queue.push(i);
  let visited = 0;
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q]!;
    visited++;
    for (const c of children[i]!) {
      layer[c] = Math.max(layer[c]!, layer[i]! + 1);
      if (--pending[c]! === 0) queue.push(c);
    }
  }
  let layers = 0;
  for (let i = 0; i < n; i++) layers = Math.max(layers, layer[i]! + 1);
  if (visited < n) for (let i = 0; i < n; i++) if (pending[i]! > 0) layer[i] = layers;
  if (visited < n) layers++;

  const rows: number[][] = Array.from({ length: layers }, () => []);
  for (let i = 0; i < n; i++) rows[layer[i]!]!.push(i);
  const pos = new Float64Array(n);
  const place = (row: number[]) => row.forEach((i, k) => (pos[i] = k));
  rows.forEach(place);
  const bary = (i: number, of: number[][]) => {
    const xs = of[i]!;
    if (!xs.length) return pos[i]!;
    let s = 0;
    for (const x of xs) s += pos[x]!;
    return s / xs.length;
  };
  for (let s = 0; s < sweeps; s++) {
    const down = s % 2 === 0;
    const order = down ? rows : [...rows].reverse();
    for (const row of order) {
      const key = new Map(row.map((i) => [i, bary(i, down ? parents : children)]));
      row.sort((a, b) => key.get(a)! - key.get(b)! || a - b);
      place(row);
    }
  }
  let width = 0;
  for (const row of rows) width = Math.max(width, row.length);
  const xy = new Float64Array(2 * n);
  for (const row of rows) {
    const offset = (width - row.length) / 2;
    row.forEach((i, k) => {
      xy[2 * i] = offset + k;
      xy[2 * i + 1] = layer[i]!;
    });
  }
  return { xy, layers, width };
}
