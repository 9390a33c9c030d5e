import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jobPeople, jobRepeats, jobTry } from './wording.ts';

test('jobPeople: one wording for whose submission, who paid, and who queued when that differs', () => {
  assert.equal(jobPeople({ originator: 'ada', sponsor: 'bob', requestedBy: 'bob' }), "@ada's submission, sponsored by @bob");
  assert.equal(jobPeople({ originator: 'ada', sponsor: 'ada', requestedBy: 'ada' }), "@ada's submission, on @ada's own quota");
  assert.equal(jobPeople({ originator: 'ada', sponsor: null, requestedBy: 'org' }), "@ada's submission, uncharged, queued by @org");
  assert.equal(jobPeople({ originator: 'ada', sponsor: null, requestedBy: 'ada' }), "@ada's submission, uncharged");
});

test('tries and repeats read as different things', () => {
  assert.equal(jobTry(1, 3), 'try 1 of at most 3');
  assert.equal(jobTry(0, 3), 'not tried yet (at most 3 tries)', 'a queued job has not been tried');
  assert.equal(jobRepeats(3), '3 measured repeats');
  assert.equal(jobRepeats(1), '1 measured repeat');
});
