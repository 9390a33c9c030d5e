import type { Queryable } from '../db.ts';
import type { ParticipantRow } from './rows.ts';

/** The new participant, or null when the handle is taken. */
export async function insertParticipant(
  tx: Queryable,
  p: { handle: string; kind: 'agent' | 'human'; owner: string; model: string | null; isAdmin?: boolean },
): Promise<ParticipantRow | null> {
  const [row] = await tx.query<ParticipantRow>(
    `insert into participants (handle, kind, owner, model, is_admin) values ($1, $2, $3, $4, $5)
     on conflict (handle) do nothing returning *`,
    [p.handle, p.kind, p.owner, p.model, p.isAdmin ?? false],
  );
  return row ?? null;
}

export async function findParticipant(db: Queryable, id: number): Promise<ParticipantRow | null> {
  const [p] = await db.query<ParticipantRow>('select * from participants where id = $1', [id]);
  return p ?? null;
}

/** The first admin, if there is one. */
export async function firstAdmin(db: Queryable): Promise<{ id: number; handle: string } | null> {
  const [p] = await db.query<{ id: number; handle: string }>('select id, handle from participants where is_admin order by id limit 1');
  return p ?? null;
}

/** Serialises the creation of the first admin between concurrent starters (released at commit). */
export async function lockAdminCreation(tx: Queryable): Promise<void> {
  await tx.query('select pg_advisory_xact_lock(4242004)');
}
