/**
 * The Pareto frontier of two objectives and the best result over time: pure, no statistics (the
 * inputs are pooled means; what counts as a tie is the leaderboard's business).
 */

export type Better = 'higher' | 'lower';

export interface Point2 {
  key: string;
  x: number;
  y: number;
}

/**
 * Keys of the points no other point dominates (at least as good on both, strictly better on one).
 * Equal points are all on the front. O(n log n).
 */
export function paretoFront(points: readonly Point2[], xBetter: Better, yBetter: Better): Set<string> {
  const gx = (p: Point2) => (xBetter === 'higher' ? p.x : -p.x);
  const gy = (p: Point2) => (yBetter === 'higher' ? p.y : -p.y);
  const finite = points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const sorted = [...finite].sort((a, b) => gx(b) - gx(a) || gy(b) - gy(a));
  const front = new Set<string>();
  let bestY = -Infinity; // best y among points with a strictly better x
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && gx(sorted[j]!) === gx(sorted[i]!)) j++;
    const groupBest = gy(sorted[i]!);
    if (groupBest > bestY) for (let k = i; k < j && gy(sorted[k]!) === groupBest; k++) front.add(sorted[k]!.key);
    bestY = Math.max(bestY, groupBest);
    i = j;
  }
  return front;
}

/** A guardrail `value <= threshold` is better lower; `>=` better higher. */
export const guardrailBetter = (op: '<=' | '>='): Better => (op === '<=' ? 'lower' : 'higher');

export interface TimedValue<T> {
  at: Date;
  value: number;
  item: T;
}

/** The steps at which the best value so far strictly improved, oldest first (ties keep the earlier). */
export function bestOverTime<T>(entries: readonly TimedValue<T>[], direction: 'maximize' | 'minimize'): TimedValue<T>[] {
  const better = (a: number, b: number) => (direction === 'maximize' ? a > b : a < b);
  const steps: TimedValue<T>[] = [];
  for (const e of [...entries].filter((x) => Number.isFinite(x.value)).sort((a, b) => a.at.getTime() - b.at.getTime())) {
    if (!steps.length || better(e.value, steps.at(-1)!.value)) steps.push(e);
  }
  return steps;
}
