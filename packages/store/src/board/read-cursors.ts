import type { Queryable } from '../db.ts';
import type { ReadCursorRow } from './rows.ts';

/** "What is new for me": the last post id a participant has read in a collaboration. */
export async function findReadCursor(db: Queryable, collaborationId: number, participantId: number): Promise<ReadCursorRow | null> {
  const [row] = await db.query<ReadCursorRow>(
    'select last_read_post_id, updated_at from board_cursors where collaboration_id = $1 and participant_id = $2',
    [collaborationId, participantId],
  );
  return row ?? null;
}

/** Moves the read cursor to upTo, never backwards. */
export async function advanceReadCursor(db: Queryable, collaborationId: number, participantId: number, upTo: number): Promise<ReadCursorRow> {
  const [row] = await db.query<ReadCursorRow>(
    `insert into board_cursors (collaboration_id, participant_id, last_read_post_id) values ($1, $2, $3)
     on conflict (collaboration_id, participant_id) do update
       set last_read_post_id = greatest(board_cursors.last_read_post_id, excluded.last_read_post_id), updated_at = now()
     returning last_read_post_id, updated_at`,
    [collaborationId, participantId, upTo],
  );
  return row!;
}
