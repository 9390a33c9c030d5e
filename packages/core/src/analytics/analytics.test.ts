import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frontierTimeline, gini, interactionGraph, pagerank, quantile, responseLatency, topShare, type AnalyticsInput } from './index.ts';

const at = (min: number) => new Date(Date.UTC(2026, 0, 1, 0, min));
const empty = (): AnalyticsInput => ({ members: [], posts: [], submissions: [], jobs: [], results: [], flags: [], rulings: [], pageRevisions: [] });

test('gini and the top share: equal holders, one holder, nothing held', () => {
  assert.equal(gini([3, 3, 3, 3]), 0);
  assert.equal(gini([0, 0, 0, 8]), 0.75); // (n-1)/n
  assert.equal(gini([0, 0]), null);
  assert.equal(gini([]), null);
  assert.ok(Math.abs(gini([1, 2, 3, 4])! - 0.25) < 1e-12);
  assert.equal(topShare([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.1), 0.1);
  assert.equal(topShare([0, 0, 0, 5], 0.1), 1);
  assert.equal(topShare([]), null);
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([], 0.5), null);
});

test('pagerank: sums to one, a node everyone points at ranks highest, weights count', () => {
  const r = pagerank(['a', 'b', 'c', 'd'], [{ from: 'a', to: 'd', weight: 1 }, { from: 'b', to: 'd', weight: 1 }, { from: 'c', to: 'd', weight: 1 }, { from: 'd', to: 'a', weight: 3 }, { from: 'd', to: 'b', weight: 1 }]);
  assert.ok(Math.abs([...r.values()].reduce((s, x) => s + x, 0) - 1) < 1e-9);
  assert.equal([...r].sort((x, y) => y[1] - x[1])[0]![0], 'd');
  assert.ok(r.get('a')! > r.get('b')!, 'three times the weight');
  assert.ok(r.get('b')! > r.get('c')!, 'c is pointed at by no one');
});

test('edges: each kind from its rows, self-loops left out, weights aggregated, a window halves them', () => {
  const input = empty();
  input.members = ['ada', 'bob', 'cy', 'org'].map((handle) => ({ handle, role: handle === 'org' ? 'organizer' : 'participant', joinedAt: at(0) }));
  input.posts = [
    { id: 1, author: 'ada', threadId: null, replyTo: null, replyToAuthor: null, tags: [], hidden: false, createdAt: at(1), mentions: ['bob'], submissions: [] },
    { id: 2, author: 'bob', threadId: 1, replyTo: 1, replyToAuthor: 'ada', tags: [], hidden: false, createdAt: at(2), mentions: ['ada', 'bob'], submissions: [] },
    { id: 3, author: 'ada', threadId: 1, replyTo: 1, replyToAuthor: 'ada', tags: [], hidden: false, createdAt: at(10), mentions: [], submissions: [] },
  ];
  input.submissions = [
    { id: 1, author: 'ada', title: 'a', parents: [], credits: [], invalid: false, withdrawn: false, createdAt: at(3) },
    { id: 2, author: 'bob', title: 'b', parents: [1], credits: ['ada', 'bob'], invalid: false, withdrawn: false, createdAt: at(4) },
  ];
  input.jobs = [{ id: 7, submissionId: 2, requestedBy: 'cy', sponsor: 'cy', author: 'bob', split: 'public', state: 'succeeded', createdAt: at(5) }];
  input.flags = [{ id: 1, reporter: 'cy', targetAuthor: 'bob', category: 'loophole', state: 'upheld', createdAt: at(6) }];
  input.rulings = [{ id: 1, organizer: 'org', kind: 'uphold', postId: 4, createdAt: at(7), ruled: ['bob'] }];
  input.pageRevisions = [{ slug: 'p', number: 1, author: 'ada', createdAt: at(8) }, { slug: 'p', number: 2, author: 'cy', createdAt: at(9) }, { slug: 'p', number: 3, author: 'cy', createdAt: at(11) }];
  const g = interactionGraph(input, {}, { includesFlags: true });
  assert.deepEqual(g.edges.map((e) => `${e.kind} ${e.from}>${e.to} ${e.weight} ${e.refs.join(',')}`), [
    'builds-on bob>ada 1 #s2',
    'co-edited cy>ada 1 page p r2',
    'credited bob>ada 1 #s2',
    'flagged cy>bob 1 flag 1',
    'mention ada>bob 1 #p1',
    'mention bob>ada 1 #p2',
    'ran-for cy>bob 1 job 7',
    'reply bob>ada 1 #p2',
    'ruled org>bob 1 ruling 1',
  ]);
  const w = interactionGraph(input, { from: at(5), to: at(8) }, { includesFlags: true });
  assert.deepEqual(w.edges.map((e) => e.kind), ['flagged', 'ran-for', 'ruled']);
  const lat = responseLatency(input, {});
  assert.deepEqual(lat, { answered: 1, unanswered: 0, medianSeconds: 60, p90Seconds: 60, meanSeconds: 60 });
});

test('the frontier timeline: steps, the chain back to the previous step, relays, invalid entries out', () => {
  const input = empty();
  const sub = (id: number, author: string, parents: number[], min: number, invalid = false) =>
    ({ id, author, title: `s${id}`, parents, credits: [], invalid, withdrawn: false, createdAt: at(min) });
  input.submissions = [sub(1, 'ada', [], 0), sub(2, 'bob', [1], 1), sub(3, 'cy', [2], 2), sub(4, 'dan', [3], 3), sub(5, 'eve', [4], 4, true), sub(6, 'ada', [4], 5)];
  const result = (jobId: number, submissionId: number, value: number, min: number) =>
    ({ jobId, submissionId, split: 'public', hardwareClass: 'cpu', samples: [value, value], guardrailsPassed: true, createdAt: at(min) });
  input.results = [result(1, 1, 100, 1), result(2, 4, 120, 4), result(3, 5, 999, 5), result(4, 6, 110, 6), result(5, 6, 130, 7)];
  input.jobs = [{ id: 9, submissionId: 2, requestedBy: 'fay', sponsor: 'fay', author: 'bob', split: 'public', state: 'failed', createdAt: at(1.5) }];
  input.posts = [{ id: 1, author: 'gus', threadId: null, replyTo: null, replyToAuthor: null, tags: [], hidden: false, createdAt: at(2), mentions: [], submissions: [3] }];
  const t = frontierTimeline(input, { direction: 'maximize', split: 'public' });
  assert.deepEqual(t.steps.map((s) => [s.submissionId, s.value, s.previous, s.chain.map((c) => c.id), s.relay]), [
    [1, 100, null, [1], false],
    [4, 120, 100, [2, 3, 4], true],
  ]);
  // #s5 is invalid and never counts; #s6 pools to 120, which ties the best and does not beat it.
  assert.deepEqual(t.steps[1]!.participants, ['bob', 'fay', 'cy', 'gus', 'dan']);
  assert.deepEqual(t.steps[1]!.posts.map((p) => p.id), [1]);
  assert.equal(frontierTimeline(input, { direction: 'minimize', split: 'public' }).steps.length, 1);
});
