import { enforce, mayWriteNow, type Role, type WriteKind } from '@agora/core';
import { lockAndRecentWrites, type Queryable } from '@agora/store';

/**
 * Refuses (429 rate_limited, Retry-After) a write that would pass the participant's limit for its
 * kind (core WRITE_RATE_LIMITS). Call it first in the writing transaction: it takes the
 * participant's lock for that kind, so concurrent writes are counted one after the other.
 * Organizers are exempt where the write is the collaboration's content (pages, claims), as on the board.
 */
export async function checkWriteRate(tx: Queryable, kind: WriteKind, who: { participantId: number; collabId: number | null; role?: Role | null }): Promise<void> {
  if (kind !== 'apiKey' && who.role === 'organizer') return;
  const { now, times } = await lockAndRecentWrites(tx, kind, who);
  enforce(mayWriteNow(kind, times, now));
}
