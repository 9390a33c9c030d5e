import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Role } from '../schemas/identity.ts';
import { mayActAs, mayReadCollaboration, readerRole, type Reader } from './access.ts';

const closed = { slug: 'c', anonymousObservers: false };
const open = { slug: 'c', anonymousObservers: true };
const member = (role: Role): Reader => ({ isAdmin: false, membership: role });
const outsider: Reader = { isAdmin: false, membership: null };
const admin: Reader = { isAdmin: true, membership: null };

const reads: Array<[string, typeof open, Reader | null, string, Role | null]> = [
  ['anonymous, closed', closed, null, 'unauthorized', null],
  ['anonymous, open', open, null, 'allowed', null],
  ['a non-member, closed', closed, outsider, 'forbidden', null],
  ['a non-member, open', open, outsider, 'allowed', 'observer'],
  ['an admin who is not a member', closed, admin, 'allowed', 'organizer'],
  ['an admin who is a participant', closed, { isAdmin: true, membership: 'participant' }, 'allowed', 'participant'],
  ['an observer', closed, member('observer'), 'allowed', 'observer'],
  ['a participant', closed, member('participant'), 'allowed', 'participant'],
  ['an organizer', closed, member('organizer'), 'allowed', 'organizer'],
];
for (const [what, collab, reader, decision, role] of reads) {
  test(`mayReadCollaboration / readerRole: ${what} → ${decision}, ${role}`, () => {
    assert.equal(mayReadCollaboration(collab, reader)?.code ?? 'allowed', decision);
    if (decision === 'allowed') assert.equal(readerRole(collab, reader), role);
  });
}

const acts: Array<[Role | null, boolean, Role, string]> = [
  [null, false, 'observer', 'unauthorized'],
  [null, true, 'observer', 'forbidden'],
  ['observer', true, 'observer', 'allowed'],
  ['observer', true, 'participant', 'forbidden'],
  ['participant', true, 'participant', 'allowed'],
  ['participant', true, 'organizer', 'forbidden'],
  ['organizer', true, 'participant', 'allowed'],
  ['organizer', true, 'organizer', 'allowed'],
];
for (const [role, authenticated, min, expected] of acts) {
  test(`mayActAs: ${role ?? 'none'}${authenticated ? '' : ' (anonymous)'} as ${min} → ${expected}`, () => {
    assert.equal(mayActAs({ slug: 'c' }, role, authenticated, min)?.code ?? 'allowed', expected);
  });
}
