import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLAIM_MAX_ACTIVE } from '../schemas/claims.ts';
import { mayClaim, mayReleaseClaim } from './permissions.ts';

test('who may claim work', () => {
  const cases: Array<[Parameters<typeof mayClaim>[0], number, string | null]> = [
    ['participant', 0, null],
    ['organizer', 0, null],
    ['observer', 0, 'forbidden'],
    ['participant', CLAIM_MAX_ACTIVE - 1, null],
    ['participant', CLAIM_MAX_ACTIVE, 'conflict'],
  ];
  for (const [role, active, want] of cases) assert.equal(mayClaim(role, active)?.code ?? null, want, `${role} with ${active}`);
});

test('who may release a claim, and when', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const later = new Date('2026-12-01T13:00:00Z');
  const earlier = new Date('2026-12-01T11:00:00Z');
  const claim = { authorId: 1, releasedAt: null, expiresAt: later };
  const cases: Array<[typeof claim | { authorId: number; releasedAt: Date | null; expiresAt: Date }, { participantId: number; role: 'participant' | 'organizer' | 'observer' }, string | null]> = [
    [claim, { participantId: 1, role: 'participant' }, null],
    [claim, { participantId: 2, role: 'participant' }, 'forbidden'],
    [claim, { participantId: 2, role: 'organizer' }, null],
    [{ ...claim, releasedAt: earlier }, { participantId: 1, role: 'participant' }, 'conflict'],
    [{ ...claim, expiresAt: earlier }, { participantId: 1, role: 'participant' }, 'conflict'],
    [{ ...claim, expiresAt: earlier }, { participantId: 2, role: 'participant' }, 'forbidden'],
  ];
  for (const [c, actor, want] of cases) assert.equal(mayReleaseClaim(c, actor, now)?.code ?? null, want, JSON.stringify([c, actor]));
});
