import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseChallenge } from '../challenge.ts';
import { CreateRulingBody, type FlagState } from '../schemas/integrity.ts';
import { bestOverTime, paretoFront, type Better } from './frontier.ts';
import { mayFlag, mayReadFlag, mayRule, mayWithdraw, type FlagFacts, type RulingFacts } from './permissions.ts';
import { descendants, invalidationReach, reinstatementReach, type DagNode } from './reach.ts';
import { leaderboardCutoff, schedulePhase, mayWorkNow } from './schedule.ts';

describe('who may flag', () => {
  const base: FlagFacts = { role: 'participant', reporterId: 1, targetAuthorId: 2, targetKind: 'submission', alreadyOpen: false, openByReporter: 0 };
  const table: Array<[string, Partial<FlagFacts>, string | null]> = [
    ['a participant, on another\'s submission', {}, null],
    ['an organizer', { role: 'organizer' }, null],
    ['on a post', { targetKind: 'post' }, null],
    ['an observer', { role: 'observer' }, 'forbidden'],
    ['an anonymous caller', { role: null }, 'forbidden'],
    ['on one\'s own submission (withdraw instead)', { targetAuthorId: 1 }, 'conflict'],
    ['on one\'s own post', { targetAuthorId: 1, targetKind: 'post' }, 'conflict'],
    ['twice while the first is open', { alreadyOpen: true }, 'conflict'],
    ['with 19 open flags', { openByReporter: 19 }, null],
    ['with 20 open flags', { openByReporter: 20 }, 'rate_limited'],
  ];
  for (const [name, facts, code] of table)
    test(name, () => assert.equal(mayFlag({ ...base, ...facts })?.code ?? null, code));

  test('who reads a flag: organizers and its reporter', () => {
    assert.equal(mayReadFlag('organizer', 9, 1), true);
    assert.equal(mayReadFlag('participant', 1, 1), true);
    assert.equal(mayReadFlag('participant', 2, 1), false);
    assert.equal(mayReadFlag(null, null, 1), false);
  });
});

describe('who may rule, and with what effect', () => {
  const flags = new Map<number, FlagState>([[1, 'open'], [2, 'open'], [3, 'dismissed']]);
  const facts: RulingFacts = { role: 'organizer', flagStates: flags, existingSubmissions: new Set([10, 11, 12]), revokedExists: true };
  const body = (b: Record<string, unknown>) => CreateRulingBody.parse({ title: 'Ruling', text: 'Because.', ...b });
  const table: Array<[string, Record<string, unknown>, Partial<RulingFacts>, string | null]> = [
    ['uphold a flag, invalidating a submission and its lever descendants', { kind: 'uphold', flags: [1], invalidate: { submissions: [10], lever: 'skip' } }, {}, null],
    ['uphold a flag with no effect', { kind: 'uphold', flags: [1] }, {}, null],
    ['invalidate on the organizers\' own motion (no flag)', { kind: 'uphold', invalidate: { submissions: ['#s11'] } }, {}, null],
    ['dismiss two flags', { kind: 'dismiss', flags: [1, 2] }, {}, null],
    ['reinstate by naming submissions', { kind: 'reinstate', reinstate: { submissions: [10] } }, {}, null],
    ['reinstate by revoking a ruling', { kind: 'reinstate', revokes: 5 }, {}, null],
    ['a participant rules', { kind: 'dismiss', flags: [1] }, { role: 'participant' }, 'forbidden'],
    ['an uphold with nothing to uphold', { kind: 'uphold' }, {}, 'validation_failed'],
    ['a dismissal without flags', { kind: 'dismiss' }, {}, 'validation_failed'],
    ['a dismissal that invalidates', { kind: 'dismiss', flags: [1], invalidate: { submissions: [10] } }, {}, 'validation_failed'],
    ['an uphold that reinstates', { kind: 'uphold', flags: [1], reinstate: { submissions: [10] } }, {}, 'validation_failed'],
    ['an uphold that revokes', { kind: 'uphold', flags: [1], revokes: 5 }, {}, 'validation_failed'],
    ['a reinstatement that invalidates', { kind: 'reinstate', revokes: 5, invalidate: { submissions: [10] } }, {}, 'validation_failed'],
    ['a reinstatement with nothing named', { kind: 'reinstate' }, {}, 'validation_failed'],
    ['a lever without seeds', { kind: 'uphold', flags: [1], invalidate: { submissions: [], lever: 'skip' } }, {}, 'validation_failed'],
    ['an unknown flag', { kind: 'dismiss', flags: [1, 99] }, {}, 'not_found'],
    ['a flag already ruled on', { kind: 'dismiss', flags: [3] }, {}, 'conflict'],
    ['an unknown submission', { kind: 'uphold', invalidate: { submissions: [10, 404] } }, {}, 'not_found'],
    ['an unknown revoked ruling', { kind: 'reinstate', revokes: 77 }, { revokedExists: false }, 'not_found'],
  ];
  for (const [name, b, f, code] of table)
    test(name, () => assert.equal(mayRule(body(b), { ...facts, ...f })?.code ?? null, code));
});

describe('who may withdraw', () => {
  const table: Array<[string, Parameters<typeof mayWithdraw>[0], string | null]> = [
    ['the author', { role: 'participant', actorId: 1, authorId: 1, withdrawn: false }, null],
    ['the author, twice', { role: 'participant', actorId: 1, authorId: 1, withdrawn: true }, 'conflict'],
    ['another participant', { role: 'participant', actorId: 2, authorId: 1, withdrawn: false }, 'forbidden'],
    ['an organizer who is not the author (rules instead)', { role: 'organizer', actorId: 2, authorId: 1, withdrawn: false }, 'forbidden'],
    ['an author demoted to observer', { role: 'observer', actorId: 1, authorId: 1, withdrawn: false }, 'forbidden'],
  ];
  for (const [name, facts, code] of table) test(name, () => assert.equal(mayWithdraw(facts)?.code ?? null, code));
});

describe('which submissions a ruling reaches', () => {
  //        1 (base)
  //       /  \
  //  2 [skip]  3
  //     |      |
  //  4 [skip]  5 [skip]     6 [skip] (unrelated)
  //     |
  //     7 (no lever), child of 4 and 3
  const dag = (invalid: Record<number, number> = {}): DagNode[] =>
    [
      [1, [], []], [2, [1], ['skip']], [3, [1], []], [4, [2], ['skip', 'int4']], [5, [3], ['skip']], [6, [], ['skip']], [7, [4, 3], []],
    ].map(([id, parents, levers]) => ({ id: id as number, parents: parents as number[], levers: levers as string[], invalidBy: invalid[id as number] ?? null }));

  test('descendants follow every declared parent, and a diamond is visited once', () => {
    assert.deepEqual([...descendants(dag(), [1])].sort((a, b) => a - b), [2, 3, 4, 5, 7]);
    assert.deepEqual([...descendants(dag(), [2])].sort(), [4, 7]);
  });

  const table: Array<[string, number[], string | undefined, Record<number, number>, number[], number[]]> = [
    ['the named submissions only', [2, 3], undefined, {}, [2, 3], []],
    ['with a lever: every descendant carrying it, through a child without it', [1], 'skip', {}, [1, 2, 4, 5], []],
    ['a lever nobody carries reaches only the seeds', [1], 'fp8', {}, [1], []],
    ['a lever reaches no unrelated submission', [3], 'skip', {}, [3, 5], []],
    ['already invalid ones keep their ruling', [2], 'skip', { 4: 9 }, [2], [4]],
    ['unknown seeds are ignored', [2, 999], undefined, {}, [2], []],
  ];
  for (const [name, seeds, lever, invalid, expect, already] of table)
    test(`invalidation: ${name}`, () => assert.deepEqual(invalidationReach(dag(invalid), seeds, lever), { invalidate: expect, alreadyInvalid: already }));

  const reinstate: Array<[string, number[], string | undefined, number | undefined, Record<number, number>, number[]]> = [
    ['revoking a ruling reinstates all it still holds invalid', [], undefined, 9, { 2: 9, 4: 9, 5: 8 }, [2, 4]],
    ['named ones, only if invalid', [2, 3], undefined, undefined, { 2: 9 }, [2]],
    ['named with a lever', [2], 'skip', undefined, { 2: 9, 4: 9, 5: 9 }, [2, 4]],
    ['revoke plus a named one invalid by another ruling', [5], undefined, 9, { 2: 9, 5: 8 }, [2, 5]],
  ];
  for (const [name, seeds, lever, revokes, invalid, expect] of reinstate)
    test(`reinstatement: ${name}`, () => assert.deepEqual(reinstatementReach(dag(invalid), seeds, lever, revokes), expect));
});

describe('the Pareto frontier', () => {
  const pts = (xs: Array<[string, number, number]>) => xs.map(([key, x, y]) => ({ key, x, y }));
  const table: Array<[string, Array<[string, number, number]>, Better, Better, string[]]> = [
    ['faster and better quality dominates', [['a', 10, 0.9], ['b', 20, 0.95]], 'higher', 'higher', ['b']],
    ['a trade-off keeps both', [['a', 10, 0.99], ['b', 20, 0.95]], 'higher', 'higher', ['a', 'b']],
    ['lower is better on y (perplexity)', [['a', 10, 3.3], ['b', 20, 3.4], ['c', 15, 3.5]], 'higher', 'lower', ['a', 'b']],
    ['equal points are both on the front', [['a', 10, 1], ['b', 10, 1], ['c', 5, 1]], 'higher', 'higher', ['a', 'b']],
    ['equal x: only the best y', [['a', 10, 1], ['b', 10, 2]], 'higher', 'higher', ['b']],
    ['equal y: only the best x', [['a', 10, 1], ['b', 12, 1]], 'higher', 'higher', ['b']],
    ['minimize x', [['a', 10, 1], ['b', 12, 2], ['c', 11, 0]], 'lower', 'higher', ['a', 'b']],
    ['non-finite values are never on it', [['a', NaN, 1], ['b', 1, 1]], 'higher', 'higher', ['b']],
    ['empty', [], 'higher', 'higher', []],
  ];
  for (const [name, input, xb, yb, expect] of table)
    test(name, () => assert.deepEqual([...paretoFront(pts(input), xb, yb)].sort(), expect));

  test('agrees with the quadratic definition on random points', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 50; trial++) {
      const ps = Array.from({ length: 30 }, (_, i) => ({ key: String(i), x: Math.round(rnd() * 10), y: Math.round(rnd() * 10) }));
      const dominated = (p: (typeof ps)[0]) => ps.some((q) => q.x >= p.x && q.y <= p.y && (q.x > p.x || q.y < p.y));
      assert.deepEqual([...paretoFront(ps, 'higher', 'lower')].sort(), ps.filter((p) => !dominated(p)).map((p) => p.key).sort());
    }
  });
});

describe('the best result over time', () => {
  const e = (t: number, value: number, item: string) => ({ at: new Date(t * 1000), value, item });
  test('steps only where the best strictly improved, in time order', () => {
    const steps = bestOverTime([e(3, 12, 'c'), e(1, 10, 'a'), e(2, 9, 'b'), e(4, 12, 'd'), e(5, 15, 'e')], 'maximize');
    assert.deepEqual(steps.map((s) => s.item), ['a', 'c', 'e']);
  });
  test('minimize', () => assert.deepEqual(bestOverTime([e(1, 10, 'a'), e(2, 11, 'b'), e(3, 8, 'c')], 'minimize').map((s) => s.item), ['a', 'c']));
  test('nothing', () => assert.deepEqual(bestOverTime([], 'maximize'), []));
});

describe('the schedule', () => {
  const s = { start: '2026-12-01T00:00:00Z', freeze: '2026-12-05T00:00:00Z', end: '2026-12-07T00:00:00Z' };
  const table: Array<[string, string, string, boolean, string | null]> = [
    ['before the start', '2026-11-30T23:59:59Z', 'not-started', true, null],
    ['at the start', '2026-12-01T00:00:00Z', 'open', false, null],
    ['frozen', '2026-12-05T00:00:00Z', 'frozen', false, s.freeze],
    ['at the end', '2026-12-07T00:00:00Z', 'ended', true, s.freeze],
  ];
  for (const [name, now, phase, refused, cutoff] of table)
    test(name, () => {
      const t = new Date(now);
      assert.equal(schedulePhase(s, t), phase);
      assert.equal(mayWorkNow(s, t, 'participant', 'submitting')?.code === 'conflict', refused);
      assert.equal(mayWorkNow(s, t, 'organizer', 'submitting'), null, 'organizers may run verification after the end');
      assert.equal(leaderboardCutoff(s, t, 'participant')?.toISOString() ?? null, cutoff && new Date(cutoff).toISOString());
      assert.equal(leaderboardCutoff(s, t, 'organizer'), null);
    });
  test('no schedule: always open', () => assert.equal(schedulePhase(undefined, new Date()), 'open'));

  const yaml = (sched: string) => `id: x\ntitle: X\nrules: r\nmetric: { name: m, unit: u, direction: maximize }\nhardware: [cpu]\nharness: { command: [node] }\n${sched}`;
  test('challenge.yaml: a schedule in order parses', () =>
    assert.equal(parseChallenge(yaml('schedule: { start: 2026-12-01T00:00:00Z, end: 2026-12-07T00:00:00+01:00 }')).schedule?.start, '2026-12-01T00:00:00Z'));
  test('challenge.yaml: a freeze after the end is refused', () =>
    assert.throws(() => parseChallenge(yaml('schedule: { freeze: 2026-12-08T00:00:00Z, end: 2026-12-07T00:00:00Z }')), /schedule.end must be after schedule.freeze/));
  test('challenge.yaml: a time without an offset is refused', () =>
    assert.throws(() => parseChallenge(yaml('schedule: { end: 2026-12-07 }')), /schedule.end/));
});
