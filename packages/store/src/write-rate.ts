import type { Queryable } from './db.ts';

/**
 * The times of a participant's writes of one kind in the last hour, and the database's clock,
 * after a per-participant transaction lock: concurrent writes by one participant are counted one
 * after the other, so a burst cannot slip past core's WRITE_RATE_LIMITS together.
 */
const recent = {
  // Revisions (creations, edits, reverts) the participant wrote in this collaboration.
  page: (w: Who) => [`select r.created_at from page_revisions r join pages p on p.id = r.page_id
    where r.author_id = $1 and p.collaboration_id = $2 and r.created_at > clock_timestamp() - interval '1 hour'`, [w.participantId, w.collabId]],
  // Keys are the participant's, whatever the collaboration.
  apiKey: (w: Who) => [`select created_at from api_keys where participant_id = $1 and created_at > clock_timestamp() - interval '1 hour'`, [w.participantId]],
  claim: (w: Who) => [`select created_at from claims
    where participant_id = $1 and collaboration_id = $2 and created_at > clock_timestamp() - interval '1 hour'`, [w.participantId, w.collabId]],
} satisfies Record<string, (w: Who) => [string, unknown[]]>;

/** One advisory-lock class per kind (4242060...), keyed by the participant. */
const lockClass = { page: 4242060, apiKey: 4242061, claim: 4242062 } as const;

export type RateCountedWrite = keyof typeof recent;

interface Who {
  participantId: number;
  /** Null for writes that are not a collaboration's (API keys). */
  collabId: number | null;
}

export async function lockAndRecentWrites(tx: Queryable, kind: RateCountedWrite, who: Who): Promise<{ now: Date; times: Date[] }> {
  await tx.query('select pg_advisory_xact_lock($1, $2)', [lockClass[kind], who.participantId]);
  const [{ now }] = (await tx.query<{ now: Date }>('select clock_timestamp() as now')) as [{ now: Date }];
  const [sql, params] = recent[kind](who);
  const rows = await tx.query<{ created_at: Date }>(sql, params);
  return { now, times: rows.map((r) => r.created_at) };
}
