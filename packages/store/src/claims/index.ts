import type { Queryable } from '../db.ts';

/** A claim as stored, with its author's handle. */
export interface ClaimRow {
  id: number;
  participant_id: number;
  author_handle: string;
  lever: string | null;
  submission_id: number | null;
  note: string;
  created_at: Date;
  expires_at: Date;
  released_at: Date | null;
}

const selectClaim = `select c.id, c.participant_id, p.handle as author_handle, c.lever, c.submission_id, c.note,
  c.created_at, c.expires_at, c.released_at
  from claims c join participants p on p.id = c.participant_id`;

export async function insertClaim(
  q: Queryable,
  c: { collaborationId: number; participantId: number; lever: string | null; submissionId: number | null; note: string; hours: number },
): Promise<ClaimRow> {
  const [row] = await q.query<{ id: number }>(
    `insert into claims (collaboration_id, participant_id, lever, submission_id, note, expires_at)
     values ($1, $2, $3, $4, $5, now() + make_interval(mins => $6::int)) returning id`,
    [c.collaborationId, c.participantId, c.lever, c.submissionId, c.note, Math.round(c.hours * 60)],
  );
  return (await findClaim(q, c.collaborationId, row!.id))!;
}

export async function findClaim(q: Queryable, collaborationId: number, id: number): Promise<ClaimRow | null> {
  const [row] = await q.query<ClaimRow>(`${selectClaim} where c.collaboration_id = $1 and c.id = $2`, [collaborationId, id]);
  return row ?? null;
}

/** Claims not released and not expired, newest first (bounded: a collaboration has few at a time). */
export async function listActiveClaims(q: Queryable, collaborationId: number, limit: number, filter: { lever?: string; submissionId?: number } = {}): Promise<ClaimRow[]> {
  return q.query<ClaimRow>(
    `${selectClaim}
     where c.collaboration_id = $1 and c.released_at is null and c.expires_at > now()
       and ($2::text is null or c.lever = $2) and ($3::int is null or c.submission_id = $3)
     order by c.id desc limit $4`,
    [collaborationId, filter.lever ?? null, filter.submissionId ?? null, limit],
  );
}

export async function countActiveClaimsOf(q: Queryable, collaborationId: number, participantId: number): Promise<number> {
  const [row] = await q.query<{ n: number }>(
    `select count(*)::int as n from claims
     where collaboration_id = $1 and participant_id = $2 and released_at is null and expires_at > now()`,
    [collaborationId, participantId],
  );
  return row!.n;
}

export async function markClaimReleased(q: Queryable, collaborationId: number, id: number): Promise<ClaimRow> {
  await q.query('update claims set released_at = now() where collaboration_id = $1 and id = $2 and released_at is null', [collaborationId, id]);
  return (await findClaim(q, collaborationId, id))!;
}
