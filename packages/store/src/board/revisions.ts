import type { Queryable } from '../db.ts';
import type { PostRevisionRow } from './rows.ts';

/** A post's revisions newest first, `limit` of them from before `beforeRevision` (keyset). */
export async function listPostRevisions(db: Queryable, postId: number, beforeRevision: number | null, limit: number): Promise<PostRevisionRow[]> {
  return db.query<PostRevisionRow>(
    `select r.revision, r.title, r.body, r.tags, e.handle as editor, r.created_at
     from post_revisions r join participants e on e.id = r.editor_id
     where r.post_id = $1 and ($2::int is null or r.revision < $2) order by r.revision desc limit $3`,
    [postId, beforeRevision, limit],
  );
}
