/**
 * Which submissions a ruling reaches. The lineage is the DAG of declared parents; a ruling names
 * seed submissions and, optionally, a lever: then every descendant of a seed that carries the
 * lever is reached too, through any path (a child without the lever does not stop the walk: its
 * own children may still have copied the trick).
 */

export interface DagNode {
  id: number;
  parents: readonly number[];
  levers: readonly string[];
  /** The ruling that made it invalid; null when valid. */
  invalidBy: number | null;
}

/** Every descendant of the seeds (not the seeds themselves), by declared parents. */
export function descendants(nodes: readonly DagNode[], seeds: readonly number[]): Set<number> {
  const children = new Map<number, number[]>();
  for (const n of nodes) for (const p of n.parents) children.set(p, [...(children.get(p) ?? []), n.id]);
  const seen = new Set<number>();
  const stack = [...seeds];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      stack.push(c);
    }
  }
  for (const s of seeds) seen.delete(s);
  return seen;
}

function reach(nodes: readonly DagNode[], seeds: readonly number[], lever: string | undefined): number[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Set(seeds.filter((s) => byId.has(s)));
  if (lever) for (const d of descendants(nodes, [...out])) if (byId.get(d)!.levers.includes(lever)) out.add(d);
  return [...out].sort((a, b) => a - b);
}

/** What an upheld ruling invalidates: reached submissions that are valid now; those already invalid keep their ruling. */
export function invalidationReach(nodes: readonly DagNode[], seeds: readonly number[], lever?: string): { invalidate: number[]; alreadyInvalid: number[] } {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const reached = reach(nodes, seeds, lever);
  return {
    invalidate: reached.filter((id) => byId.get(id)!.invalidBy === null),
    alreadyInvalid: reached.filter((id) => byId.get(id)!.invalidBy !== null),
  };
}

/**
 * What a reinstating ruling makes valid again: the reached submissions that are invalid, plus,
 * with `revokes`, every submission still invalid by that ruling.
 */
export function reinstatementReach(nodes: readonly DagNode[], seeds: readonly number[], lever?: string, revokes?: number): number[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Set(reach(nodes, seeds, lever).filter((id) => byId.get(id)!.invalidBy !== null));
  if (revokes !== undefined) for (const n of nodes) if (n.invalidBy === revokes) out.add(n.id);
  return [...out].sort((a, b) => a - b);
}
