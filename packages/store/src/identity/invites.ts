import type { Role } from '@agora/core';
import type { Queryable } from '../db.ts';
import type { Admission } from './rows.ts';

export async function insertInvite(
  tx: Queryable,
  i: { codeHash: string; collaborationId: number; role: Role; maxUses: number; expiresInHours: number; createdBy: number },
): Promise<{ expires_at: Date }> {
  const [row] = await tx.query<{ expires_at: Date }>(
    `insert into invites (code_hash, collaboration_id, role, max_uses, expires_at, created_by)
     values ($1, $2, $3, $4, now() + make_interval(secs => $5::float8 * 3600), $6) returning expires_at`,
    [i.codeHash, i.collaborationId, i.role, i.maxUses, i.expiresInHours, i.createdBy],
  );
  return row!;
}

/** Uses an invite atomically: the use count never passes max_uses, even under a race. Null: unknown, used up or expired. */
export async function useInvite(tx: Queryable, codeHash: string): Promise<Admission | null> {
  const [inv] = await tx.query<Admission>(
    `update invites i set uses = uses + 1 from collaborations c
     where i.code_hash = $1 and c.id = i.collaboration_id and i.uses < i.max_uses and (i.expires_at is null or i.expires_at > now())
     returning i.collaboration_id, i.role, c.slug`,
    [codeHash],
  );
  return inv ?? null;
}
