import type { Queryable } from '../db.ts';
import type { PostContent, PostRow } from './rows.ts';

/** Per-collaboration lock for post writes (two-key advisory lock, released at commit). */
const POST_LOCK = 4242010;

export const selectPost = (extra = '') => `
  select p.id, p.collaboration_id, p.author_id, a.handle as author_handle, p.thread_id, p.reply_to, p.title, p.body,
         p.tags, p.revision, p.edited_at, p.hidden_at, h.handle as hidden_by_handle, p.hidden_reason, p.pinned_at,
         p.reply_count, p.last_activity_at, p.created_at${extra}
  from posts p join participants a on a.id = p.author_id left join participants h on h.id = p.hidden_by`;

/**
 * Post writes in one collaboration go one at a time: ids become visible in id order (so a read
 * cursor never skips a late commit) and the rate check cannot be raced. Call first in the transaction.
 */
export async function lockPostWrites(tx: Queryable, collaborationId: number): Promise<void> {
  await tx.query('select pg_advisory_xact_lock($1, $2)', [POST_LOCK, collaborationId]);
}

export async function findPost(db: Queryable, collaborationId: number, id: number): Promise<PostRow | null> {
  const [p] = await db.query<PostRow>(`${selectPost()} where p.id = $1 and p.collaboration_id = $2`, [id, collaborationId]);
  return p ?? null;
}

/** FOR UPDATE cannot apply to the nullable side of an outer join: lock the bare post row, then read it. */
export async function findPostForUpdate(tx: Queryable, collaborationId: number, id: number): Promise<PostRow | null> {
  await tx.query('select 1 from posts where id = $1 and collaboration_id = $2 for update', [id, collaborationId]);
  return findPost(tx, collaborationId, id);
}

export async function insertPost(
  tx: Queryable,
  post: { collaborationId: number; authorId: number; threadId: number | null; replyTo: number | null } & PostContent,
): Promise<number> {
  const [p] = await tx.query<{ id: number }>(
    `insert into posts (collaboration_id, author_id, thread_id, reply_to, title, body, tags)
     values ($1, $2, $3, $4, $5, $6, $7::text[]) returning id`,
    [post.collaborationId, post.authorId, post.threadId, post.replyTo, post.title, post.body, post.tags],
  );
  return p!.id;
}

export async function insertPostRevision(tx: Queryable, postId: number, revision: number, content: PostContent, editorId: number): Promise<void> {
  await tx.query(
    `insert into post_revisions (post_id, revision, title, body, tags, editor_id) values ($1, $2, $3, $4, $5::text[], $6)`,
    [postId, revision, content.title, content.body, content.tags, editorId],
  );
}

/** Makes content the post's current revision (revision + 1); the caller writes the revision row. */
export async function updatePostContent(tx: Queryable, postId: number, content: PostContent): Promise<void> {
  await tx.query(
    `update posts set title = $2, body = $3, tags = $4::text[], revision = revision + 1, edited_at = now() where id = $1`,
    [postId, content.title, content.body, content.tags],
  );
}

/** A reply landed in the thread: one more reply, activity now. */
export async function touchThread(tx: Queryable, threadId: number): Promise<void> {
  await tx.query('update posts set reply_count = reply_count + 1, last_activity_at = now() where id = $1', [threadId]);
}

export async function hidePost(tx: Queryable, postId: number, hiddenBy: number, reason: string): Promise<void> {
  await tx.query('update posts set hidden_at = now(), hidden_by = $2, hidden_reason = $3 where id = $1', [postId, hiddenBy, reason]);
}

/** The database's clock and the author's post times in the last hour: the rate rule's inputs. */
export async function recentPostTimes(tx: Queryable, collaborationId: number, authorId: number): Promise<{ now: Date; times: Date[] }> {
  const [{ now }] = (await tx.query<{ now: Date }>('select now() as now')) as [{ now: Date }];
  const rows = await tx.query<{ created_at: Date }>(
    `select created_at from posts where collaboration_id = $1 and author_id = $2 and created_at > now() - interval '1 hour'`,
    [collaborationId, authorId],
  );
  return { now, times: rows.map((x) => x.created_at) };
}

export async function newestPostId(db: Queryable, collaborationId: number): Promise<number> {
  const [top] = await db.query<{ max: number | null }>('select max(id) as max from posts where collaboration_id = $1', [collaborationId]);
  return top?.max ?? 0;
}

/** Threads newest first, `limit` of them from before `beforeId` (keyset). */
export async function listThreads(
  db: Queryable,
  collaborationId: number,
  f: { tag: string | null; author: string | null; beforeId: number | null; limit: number; pinned?: boolean | undefined },
): Promise<PostRow[]> {
  return db.query<PostRow>(
    `${selectPost()} where p.collaboration_id = $1 and p.thread_id is null
       and ($2::text is null or p.tags @> array[$2::text]) and ($3::text is null or a.handle = $3)
       and ($4::int is null or p.id < $4) and ($6::boolean is null or (p.pinned_at is not null) = $6)
     order by p.id desc limit $5`,
    [collaborationId, f.tag, f.author, f.beforeId, f.limit, f.pinned ?? null],
  );
}

/** A thread's replies oldest first, `limit` of them after `afterId` (keyset). */
export async function listReplies(db: Queryable, threadId: number, afterId: number, limit: number): Promise<PostRow[]> {
  return db.query<PostRow>(`${selectPost()} where p.thread_id = $1 and p.id > $2 order by p.id limit $3`, [threadId, afterId, limit]);
}

/**
 * Full-text search, best first. `withHidden` is for organizers only: a match would reveal the words
 * of a hidden post.
 */
export async function searchPosts(
  db: Queryable,
  collaborationId: number,
  f: { q: string; tag: string | null; withHidden: boolean; offset: number; limit: number },
): Promise<Array<PostRow & { rank: number }>> {
  return db.query<PostRow & { rank: number }>(
    `${selectPost(', ts_rank_cd(p.search, q) as rank')}, websearch_to_tsquery('english', $2) q
     where p.collaboration_id = $1 and p.search @@ q and ($5 or p.hidden_at is null)
       and ($3::text is null or p.tags @> array[$3::text])
     order by ts_rank_cd(p.search, q) desc, p.id desc offset $4 limit $6`,
    [collaborationId, f.q, f.tag, f.offset, f.withHidden, f.limit],
  );
}
