import type { Queryable } from '../db.ts';

/** Runners: machines that claim jobs with a token (stored hashed), their labels and last heartbeat. */

export interface RunnerListRow {
  id: number;
  name: string;
  labels: string[];
  /** Slugs of the collaborations it serves; null: all of them. */
  slugs: string[] | null;
  environment: Record<string, unknown> | null;
  created_at: Date;
  last_seen_at: Date | null;
  revoked_at: Date | null;
}

/** The named collaborations and the participant's role in each (null: not a member). */
export async function collaborationRoles(db: Queryable, slugs: string[], participantId: number): Promise<Array<{ id: number; slug: string; role: string | null }>> {
  return db.query<{ id: number; slug: string; role: string | null }>(
    `select c.id, c.slug, m.role from collaborations c left join memberships m on m.collaboration_id = c.id and m.participant_id = $2
     where c.slug = any($1::text[])`, [slugs, participantId]);
}

export async function insertRunner(
  tx: Queryable,
  r: { name: string; tokenHash: string; labels: string[]; collaborationIds: number[] | null; createdBy: number },
): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    'insert into runners (name, token_hash, labels, collaboration_ids, created_by) values ($1, $2, $3, $4, $5) returning id',
    [r.name, r.tokenHash, r.labels, r.collaborationIds, r.createdBy]);
  return row!.id;
}

export async function listRunners(db: Queryable): Promise<RunnerListRow[]> {
  return db.query<RunnerListRow>(
    `select r.*, case when r.collaboration_ids is null then null else
       (select coalesce(array_agg(c.slug order by c.slug), '{}') from collaborations c where c.id = any(r.collaboration_ids)) end as slugs
     from runners r order by r.id`);
}

/** Revokes (keeping the first revocation time); false when no such runner. */
export async function revokeRunner(tx: Queryable, runnerId: number): Promise<boolean> {
  const rows = await tx.query('update runners set revoked_at = coalesce(revoked_at, now()) where id = $1 returning id', [runnerId]);
  return rows.length > 0;
}

export async function touchRunner(db: Queryable, runnerId: number): Promise<void> {
  await db.query('update runners set last_seen_at = now() where id = $1', [runnerId]);
}

export async function recordRunnerHeartbeat(db: Queryable, runnerId: number, environment: Record<string, unknown>): Promise<void> {
  await db.query('update runners set last_seen_at = now(), environment = $2 where id = $1', [runnerId, JSON.stringify(environment)]);
}

/** Of the jobs a runner says it is running, those it should keep running (still its, not cancelled). */
export async function jobsToKeep(db: Queryable, runnerId: number, jobIds: number[]): Promise<Set<number>> {
  const rows = await db.query<{ id: number }>(
    `select id from jobs where id = any($1::int[]) and state = 'running' and runner_id = $2 and not cancel_requested`, [jobIds, runnerId]);
  return new Set(rows.map((x) => x.id));
}

/** Unrevoked runners seen in the last `onlineSeconds`: their labels and collaborations (null: all). */
export async function onlineRunners(db: Queryable, onlineSeconds: number): Promise<Array<{ labels: string[]; collaboration_ids: number[] | null }>> {
  return db.query<{ labels: string[]; collaboration_ids: number[] | null }>(
    'select labels, collaboration_ids from runners where revoked_at is null and last_seen_at > now() - make_interval(secs => $1)', [onlineSeconds]);
}

/** Online runners that could take a job with these labels in this collaboration, and how many of them are busy. */
export async function runnerAvailability(db: Queryable, onlineSeconds: number, hardware: string[], collabId: number): Promise<{ online: number; busy: number }> {
  const [row] = await db.query<{ online: number; busy: number }>(
    `select count(*)::int as online,
            count(*) filter (where exists (select 1 from jobs x where x.runner_id = r.id and x.state = 'running'))::int as busy
     from runners r
     where r.revoked_at is null and r.last_seen_at > now() - make_interval(secs => $1)
       and r.labels @> $2::text[] and (r.collaboration_ids is null or $3 = any(r.collaboration_ids))`,
    [onlineSeconds, hardware, collabId]);
  return row!;
}

// ---------------------------------------------------------------- what a leased job's runner fetches

export async function submissionBundleSha(db: Queryable, submissionId: number): Promise<string> {
  const [row] = await db.query<{ bundle_sha256: string }>('select bundle_sha256 from submissions where id = $1', [submissionId]);
  return row!.bundle_sha256;
}

export async function submissionArtifactList(db: Queryable, submissionId: number): Promise<Array<{ sha256: string; path: string }>> {
  return db.query<{ sha256: string; path: string }>('select sha256, path from submission_artifacts where submission_id = $1 order by path', [submissionId]);
}

export async function submissionRefersToArtifact(db: Queryable, submissionId: number, sha256: string): Promise<boolean> {
  const rows = await db.query('select 1 from submission_artifacts where submission_id = $1 and sha256 = $2 limit 1', [submissionId, sha256]);
  return rows.length > 0;
}
