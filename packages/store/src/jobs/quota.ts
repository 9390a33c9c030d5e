import type { Queryable } from '../db.ts';

/** Quota charges and grants. The check-and-charge itself (under the locks) is an operation above this layer. */

/** One lock per (collaboration, participant), held until commit: check and charge under it are atomic. */
export async function lockParticipantQuota(tx: Queryable, collabId: number, participantId: number): Promise<void> {
  await tx.query(`select pg_advisory_xact_lock(hashtextextended('agora-quota:' || $1::text || ':' || $2::text, 0))`, [collabId, participantId]);
}

/** One lock per (collaboration, owner) of the participant's human owner, held until commit. */
export async function lockOwnerQuota(tx: Queryable, collabId: number, participantId: number): Promise<void> {
  await tx.query(
    `select pg_advisory_xact_lock(hashtextextended('agora-quota-owner:' || $1::text || ':' || owner, 0)) from participants where id = $2`,
    [collabId, participantId]);
}

/** The database's clock now (not the transaction's start): every charge compares against one clock. */
export async function databaseClock(tx: Queryable): Promise<Date> {
  const [row] = await tx.query<{ now: Date }>('select clock_timestamp() as now');
  return row!.now;
}

/** When each live (unrefunded) charge of the participant in the 24 hours before `now` was made. */
export async function liveChargeTimes(db: Queryable, collabId: number, participantId: number, now: Date): Promise<Date[]> {
  const rows = await db.query<{ charged_at: Date }>(
    `select charged_at from quota_charges
     where collaboration_id = $1 and participant_id = $2 and refunded_at is null and charged_at > $3::timestamptz - interval '24 hours'`,
    [collabId, participantId, now]);
  return rows.map((r) => r.charged_at);
}

/** When each live charge of every agent of `owner` in the 24 hours before `now` was made. */
export async function liveOwnerChargeTimes(db: Queryable, collabId: number, owner: string, now: Date): Promise<Date[]> {
  const rows = await db.query<{ charged_at: Date }>(
    `select c.charged_at from quota_charges c join participants p on p.id = c.participant_id
     where c.collaboration_id = $1 and p.owner = $2 and c.refunded_at is null and c.charged_at > $3::timestamptz - interval '24 hours'`,
    [collabId, owner, now]);
  return rows.map((r) => r.charged_at);
}

/** Grants of extra jobs that have not expired at `now`. */
export async function activeGrants(db: Queryable, collabId: number, participantId: number, now: Date): Promise<Array<{ extraJobs: number; expiresAt: Date }>> {
  const rows = await db.query<{ extra_jobs: number; expires_at: Date }>(
    'select extra_jobs, expires_at from quota_grants where collaboration_id = $1 and participant_id = $2 and expires_at > $3',
    [collabId, participantId, now]);
  return rows.map((g) => ({ extraJobs: g.extra_jobs, expiresAt: g.expires_at }));
}

export async function ownerOf(db: Queryable, participantId: number): Promise<string> {
  const [p] = await db.query<{ owner: string }>('select owner from participants where id = $1', [participantId]);
  return p!.owner;
}

export async function insertCharge(tx: Queryable, c: { collabId: number; participantId: number; jobId: number; chargedAt: Date }): Promise<void> {
  await tx.query('insert into quota_charges (collaboration_id, participant_id, job_id, charged_at) values ($1, $2, $3, $4)', [c.collabId, c.participantId, c.jobId, c.chargedAt]);
}

/** Marks the job's live charge refunded; false when it had none (uncharged, or refunded already). */
export async function refundCharge(tx: Queryable, jobId: number, reason: string): Promise<boolean> {
  const rows = await tx.query('update quota_charges set refunded_at = now(), refund_reason = $2 where job_id = $1 and refunded_at is null returning id', [jobId, reason]);
  return rows.length > 0;
}

export async function insertGrant(
  tx: Queryable,
  g: { collabId: number; participantId: number; extraJobs: number; reason: string; grantedBy: number; hours: number },
): Promise<{ id: number; created_at: Date; expires_at: Date }> {
  const [row] = await tx.query<{ id: number; created_at: Date; expires_at: Date }>(
    `insert into quota_grants (collaboration_id, participant_id, extra_jobs, reason, granted_by, expires_at)
     values ($1, $2, $3, $4, $5, now() + make_interval(hours => $6)) returning id, created_at, expires_at`,
    [g.collabId, g.participantId, g.extraJobs, g.reason, g.grantedBy, g.hours]);
  return row!;
}

/** A member of the collaboration by handle, or undefined. */
export async function memberByHandle(db: Queryable, collabId: number, handle: string): Promise<{ id: number; handle: string } | undefined> {
  const [p] = await db.query<{ id: number; handle: string }>(
    'select p.id, p.handle from participants p join memberships m on m.participant_id = p.id and m.collaboration_id = $2 where p.handle = $1',
    [handle, collabId]);
  return p;
}
