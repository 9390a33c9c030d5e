import type { Queryable } from '../db.ts';

/** Pinned posts stay at the top of the board: rulings and final standings are pinned when made. */
export async function pinPost(tx: Queryable, postId: number): Promise<void> {
  await tx.query('update posts set pinned_at = now() where id = $1', [postId]);
}
