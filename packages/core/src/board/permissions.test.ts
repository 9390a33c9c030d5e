import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision } from '../decision.ts';
import type { Role } from '../schemas/identity.ts';
import {
  mayEditPost, mayHidePost, mayMention, mayReadPostWords, mayReplyTo, mayRevise, mayUseTags, newPostShape, type PostFacts,
} from './permissions.ts';

const ada = 1;
const bob = 2;
const post = (over: Partial<PostFacts> = {}): PostFacts => ({ id: 7, authorId: ada, authorHandle: 'ada', threadId: null, hidden: null, revision: 1, ...over });
const hidden = { by: 'org', reason: 'spam' };
const code = (d: Decision) => d?.code ?? 'allowed';

function table<A extends unknown[]>(name: string, decide: (...args: A) => Decision, cases: Array<[string, A, string]>) {
  for (const [what, args, expected] of cases) {
    test(`${name}: ${what} → ${expected}`, () => assert.equal(code(decide(...args)), expected));
  }
}

table('mayEditPost', mayEditPost, [
  ['the author', [{ participantId: ada, role: 'participant' }, post(), {}], 'allowed'],
  ['another participant', [{ participantId: bob, role: 'participant' }, post(), {}], 'forbidden'],
  ['an observer who is not the author', [{ participantId: bob, role: 'observer' }, post(), {}], 'forbidden'],
  ['an organizer, any post', [{ participantId: bob, role: 'organizer' }, post(), {}], 'allowed'],
  ['the author of a hidden post', [{ participantId: ada, role: 'participant' }, post({ hidden }), {}], 'conflict'],
  ['an organizer, a hidden post', [{ participantId: bob, role: 'organizer' }, post({ hidden }), {}], 'allowed'],
  ['from the revision it is at', [{ participantId: ada, role: 'participant' }, post({ revision: 3 }), { expectedRevision: 3 }], 'allowed'],
  ['from an older revision', [{ participantId: ada, role: 'participant' }, post({ revision: 3 }), { expectedRevision: 2 }], 'edit_conflict'],
  ['a title on a thread', [{ participantId: ada, role: 'participant' }, post(), { title: 'New' }], 'allowed'],
  ['a title on a reply', [{ participantId: ada, role: 'participant' }, post({ threadId: 3 }), { title: 'New' }], 'validation_failed'],
  ['another participant, before anything else', [{ participantId: bob, role: 'participant' }, post({ hidden, revision: 3 }), { expectedRevision: 1 }], 'forbidden'],
]);

// Literal numbers on purpose: lifting or removing the limit of 100 revisions fails here.
table('mayRevise', mayRevise, [
  ['a first edit', [post({ revision: 1 })], 'allowed'],
  ['the 100th revision', [post({ revision: 99 })], 'allowed'],
  ['a 101st revision', [post({ revision: 100 })], 'conflict'],
  ['far past the limit', [post({ revision: 1000 })], 'conflict'],
]);

table('mayHidePost', mayHidePost, [
  ['an organizer, a visible post', ['organizer', post()], 'allowed'],
  ['an organizer, a hidden post', ['organizer', post({ hidden })], 'conflict'],
  ['a participant', ['participant', post()], 'forbidden'],
  ['an observer', ['observer', post()], 'forbidden'],
]);

table('mayUseTags', mayUseTags, [
  ['a participant, plain tags', [['proposal', 'result'], 'participant'], 'allowed'],
  ['a participant, ruling', [['proposal', 'ruling'], 'participant'], 'forbidden'],
  ['an organizer, ruling', [['ruling'], 'organizer'], 'allowed'],
  ['no tags', [[], 'observer'], 'allowed'],
]);

table('newPostShape', newPostShape, [
  ['a thread with a title', [{ title: 'Plan' }], 'allowed'],
  ['a reply without one', [{ replyTo: 3 }], 'allowed'],
  ['neither', [{}], 'validation_failed'],
  ['a reply with a title', [{ replyTo: 3, title: 'Plan' }], 'validation_failed'],
]);

table('mayReplyTo', mayReplyTo, [
  ['a visible post', [post()], 'allowed'],
  ['a hidden post', [post({ hidden })], 'conflict'],
]);

const handles = (n: number) => Array.from({ length: n }, (_, i) => `h${i}`);
table('mayMention', mayMention, [
  ['50 participants', [handles(50)], 'allowed'],
  ['51 participants', [handles(51)], 'unprocessable'],
]);

test('mayReadPostWords: hidden words are for organizers only', () => {
  const cases: Array<[PostFacts['hidden'], Role | null, boolean]> = [
    [null, null, true], [null, 'observer', true], [hidden, null, false], [hidden, 'observer', false],
    [hidden, 'participant', false], [hidden, 'organizer', true],
  ];
  for (const [h, role, expected] of cases) assert.equal(mayReadPostWords({ hidden: h }, role), expected, `${JSON.stringify(h)} ${role}`);
});
