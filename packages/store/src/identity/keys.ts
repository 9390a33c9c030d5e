import type { Queryable } from '../db.ts';
import type { ApiKeyRow, KeyOwnerRow, RunnerTokenRow } from './rows.ts';

export async function insertApiKey(
  tx: Queryable,
  k: { id: string; participantId: number; secretHash: string; label: string | null; expiresInDays: number | null },
): Promise<{ expires_at: Date | null }> {
  const [row] = await tx.query<{ expires_at: Date | null }>(
    `insert into api_keys (id, participant_id, secret_hash, label, expires_at)
     values ($1, $2, $3, $4, case when $5::int is null then null else now() + make_interval(days => $5::int) end)
     returning expires_at`,
    [k.id, k.participantId, k.secretHash, k.label, k.expiresInDays],
  );
  return row!;
}

export async function findKeyOwner(db: Queryable, keyId: string): Promise<KeyOwnerRow | null> {
  const [row] = await db.query<KeyOwnerRow>(
    `select k.secret_hash, k.revoked_at, k.expires_at, p.id as participant_id, p.handle, p.is_admin
     from api_keys k join participants p on p.id = k.participant_id where k.id = $1`,
    [keyId],
  );
  return row ?? null;
}

export async function touchApiKey(db: Queryable, keyId: string): Promise<void> {
  await db.query('update api_keys set last_used_at = now() where id = $1', [keyId]);
}

export async function listApiKeys(db: Queryable, participantId: number): Promise<ApiKeyRow[]> {
  return db.query<ApiKeyRow>('select * from api_keys where participant_id = $1 order by created_at', [participantId]);
}

export async function revokeApiKey(tx: Queryable, keyId: string): Promise<void> {
  await tx.query('update api_keys set revoked_at = now() where id = $1', [keyId]);
}

/** Revokes a key of the participant's (any key for an admin); false when there is no such key. */
export async function revokeOwnApiKey(db: Queryable, keyId: string, by: { participantId: number; isAdmin: boolean }): Promise<boolean> {
  const rows = await db.query(
    `update api_keys set revoked_at = coalesce(revoked_at, now()) where id = $1 and (participant_id = $2 or $3) returning id`,
    [keyId, by.participantId, by.isAdmin],
  );
  return rows.length > 0;
}

export async function findRunnerToken(db: Queryable, runnerId: number): Promise<RunnerTokenRow | null> {
  const [row] = await db.query<RunnerTokenRow>('select token_hash, revoked_at, name, labels, collaboration_ids from runners where id = $1', [runnerId]);
  return row ?? null;
}
