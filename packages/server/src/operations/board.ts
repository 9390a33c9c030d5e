import {
  AgoraError, checkPostRate, enforce, mayEditPost, mayHidePost, mayMention, mayReplyTo, mayRevise, mayUseTags, newPostShape,
  parseReferences, type PostFacts, type References,
} from '@agora/core';
import { appendEvent, type Db, type Queryable } from '@agora/store';
import * as store from '@agora/store/board';
import { replaceEdges } from '@agora/store/references';
import type { Actor } from '../auth.ts';
import { access, accessAs, type CollabAccess } from '../collab.ts';
import { resolveReferences, type ResolvedReferences } from './references.ts';

/**
 * The board's operations: what HTTP handlers, and any later caller (a scheduler announcing a
 * verdict, an importer, an MCP tool), do to the board. Each finds the collaboration and the
 * caller's role, enforces core's decisions, runs the store's queries (a write in one transaction
 * with its event) and answers rows; callers shape them (see routes/board.ts).
 */
export interface OperationCtx {
  db: Db;
  actor: Actor | null;
}

export type { PostRow } from '@agora/store/board';
type PostRow = store.PostRow;

export const postFacts = (p: PostRow): PostFacts => ({
  id: p.id,
  authorId: p.author_id,
  authorHandle: p.author_handle,
  threadId: p.thread_id,
  hidden: p.hidden_at ? { by: p.hidden_by_handle ?? '', reason: p.hidden_reason ?? '' } : null,
  revision: p.revision,
});

async function loadPost(q: Queryable, collabId: number, id: number, opts: { forUpdate?: boolean } = {}): Promise<PostRow> {
  const p = opts.forUpdate ? await store.findPostForUpdate(q, collabId, id) : await store.findPost(q, collabId, id);
  if (!p) throw new AgoraError('not_found', `post #p${id} not found in this collaboration`, { post: id });
  return p;
}

/**
 * Every reference in the body must name something that exists in this collaboration: members for
 * @mentions, submissions, posts and knowledge-base pages. Unknown ones refuse the whole post,
 * listing each, so that a typo never silently becomes plain text (or a mention nobody receives).
 */
async function postReferences(tx: Queryable, a: CollabAccess, body: string): Promise<{ refs: References; resolved: ResolvedReferences }> {
  const refs = parseReferences(body);
  enforce(mayMention(refs.mentions));
  const { resolved, unknown } = await resolveReferences(tx, a.collab.id, refs, { mentions: true });
  if (unknown) {
    const listed = [
      ...unknown.mentions!.map((h) => `@${h}`),
      ...unknown.submissions.map((id) => `#s${id}`),
      ...unknown.posts.map((id) => `#p${id}`),
      ...unknown.pages.map((s) => `[[${s}]]`),
    ];
    throw new AgoraError(
      'unprocessable',
      `unknown references: ${listed.join(', ')} (mentions must be members of "${a.collab.slug}"; put code in backticks so it is not read as references)`,
      { unknown },
    );
  }
  return { refs, resolved };
}

async function checkRate(tx: Queryable, collabId: number, authorId: number): Promise<void> {
  const { now, times } = await store.recentPostTimes(tx, collabId, authorId);
  const d = checkPostRate(times, now);
  if (!d.nextAllowedAt) return;
  const retryAfterSeconds = Math.max(1, Math.ceil((d.nextAllowedAt.getTime() - now.getTime()) / 1000));
  const per = d.window!.seconds === 60 ? 'a minute' : d.window!.seconds === 3600 ? 'an hour' : `${d.window!.seconds} seconds`;
  throw new AgoraError(
    'rate_limited',
    `posting too fast: at most ${d.window!.max} posts ${per}; your next post is allowed at ${d.nextAllowedAt.toISOString()} (in ${retryAfterSeconds} s)`,
    { nextAllowedAt: d.nextAllowedAt.toISOString(), retryAfterSeconds, limit: { max: d.window!.max, seconds: d.window!.seconds } },
  );
}

export interface NewPost {
  title?: string;
  body: string;
  tags: string[];
  replyTo?: number;
}

export async function createPost({ db, actor }: OperationCtx, slug: string, input: NewPost): Promise<{ access: CollabAccess; post: PostRow }> {
  const a = await accessAs(db, slug, actor, 'participant');
  enforce(newPostShape(input));
  enforce(mayUseTags(input.tags, a.role));
  const me = a.actor.participantId;
  const post = await db.transaction(async (tx) => {
    await store.lockPostWrites(tx, a.collab.id);
    if (a.role !== 'organizer') await checkRate(tx, a.collab.id, me);
    let threadId: number | null = null;
    if (input.replyTo !== undefined) {
      const parent = await loadPost(tx, a.collab.id, input.replyTo);
      enforce(mayReplyTo(postFacts(parent)));
      threadId = parent.thread_id ?? parent.id;
    }
    const { refs, resolved } = await postReferences(tx, a, input.body);
    const content = { title: input.title ?? null, body: input.body, tags: input.tags };
    const id = await store.insertPost(tx, { collaborationId: a.collab.id, authorId: me, threadId, replyTo: input.replyTo ?? null, ...content });
    await store.insertPostRevision(tx, id, 1, content, me);
    await replaceEdges(tx, 'post', id, resolved.edges);
    if (threadId !== null) await store.touchThread(tx, threadId);
    await appendEvent(tx, {
      collaborationId: a.collab.id, actorId: me, type: 'post.created', subject: `#p${id}`,
      payload: { postId: id, threadId: threadId ?? id, replyTo: input.replyTo ?? null, tags: input.tags, mentions: refs.mentions },
    });
    return loadPost(tx, a.collab.id, id);
  });
  return { access: a, post };
}

export interface PostEdit {
  title?: string;
  body?: string;
  tags?: string[];
  expectedRevision?: number;
}

export async function editPost({ db, actor }: OperationCtx, slug: string, id: number, edit: PostEdit): Promise<{ access: CollabAccess; post: PostRow }> {
  const a = await accessAs(db, slug, actor, 'participant');
  const me = a.actor.participantId;
  const post = await db.transaction(async (tx) => {
    const p = await loadPost(tx, a.collab.id, id, { forUpdate: true });
    enforce(mayEditPost({ participantId: me, role: a.role }, postFacts(p), edit));
    const next = { title: edit.title ?? p.title, body: edit.body ?? p.body, tags: edit.tags ?? p.tags };
    if (edit.tags) enforce(mayUseTags(edit.tags.filter((t) => !p.tags.includes(t)), a.role));
    if (next.title === p.title && next.body === p.body && next.tags.join() === p.tags.join()) return p; // nothing changed
    enforce(mayRevise(postFacts(p)));
    const { resolved } = await postReferences(tx, a, next.body);
    await store.updatePostContent(tx, p.id, next);
    await store.insertPostRevision(tx, p.id, p.revision + 1, next, me);
    await replaceEdges(tx, 'post', p.id, resolved.edges);
    await appendEvent(tx, {
      collaborationId: a.collab.id, actorId: me, type: 'post.edited', subject: `#p${p.id}`,
      payload: { postId: p.id, threadId: p.thread_id ?? p.id, revision: p.revision + 1, author: p.author_handle },
    });
    return loadPost(tx, a.collab.id, p.id);
  });
  return { access: a, post };
}

export async function hidePost({ db, actor }: OperationCtx, slug: string, id: number, reason: string): Promise<{ access: CollabAccess; post: PostRow }> {
  const a = await accessAs(db, slug, actor, 'organizer');
  const post = await db.transaction(async (tx) => {
    const p = await loadPost(tx, a.collab.id, id, { forUpdate: true });
    enforce(mayHidePost(a.role, postFacts(p)));
    await store.hidePost(tx, p.id, a.actor.participantId, reason);
    await appendEvent(tx, {
      collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'post.hidden', subject: `#p${p.id}`,
      payload: { postId: p.id, threadId: p.thread_id ?? p.id, author: p.author_handle, reason },
    });
    return loadPost(tx, a.collab.id, p.id);
  });
  return { access: a, post };
}

/** Lists ask for one row more than the page (`limit + 1`): its presence says there is a next page. */
export async function listThreads(
  { db, actor }: OperationCtx,
  slug: string,
  f: { tag: string | null; author: string | null; beforeId: number | null; limit: number; pinned?: boolean | undefined },
): Promise<{ access: CollabAccess; rows: PostRow[] }> {
  const a = await access(db, slug, actor);
  return { access: a, rows: await store.listThreads(db, a.collab.id, { ...f, limit: f.limit + 1 }) };
}

export async function readThread(
  { db, actor }: OperationCtx,
  slug: string,
  id: number,
  page: { afterId: number; limit: number },
): Promise<{ access: CollabAccess; post: PostRow; thread: PostRow; replies: PostRow[] }> {
  const a = await access(db, slug, actor);
  const post = await loadPost(db, a.collab.id, id);
  const thread = post.thread_id === null ? post : await loadPost(db, a.collab.id, post.thread_id);
  const replies = await store.listReplies(db, thread.id, page.afterId, page.limit + 1);
  return { access: a, post, thread, replies };
}

export async function listPostRevisions(
  { db, actor }: OperationCtx,
  slug: string,
  id: number,
  page: { beforeRevision: number | null; limit: number },
): Promise<{ access: CollabAccess; post: PostRow; rows: store.PostRevisionRow[] }> {
  const a = await access(db, slug, actor);
  const post = await loadPost(db, a.collab.id, id);
  return { access: a, post, rows: await store.listPostRevisions(db, post.id, page.beforeRevision, page.limit + 1) };
}

export async function searchPosts(
  { db, actor }: OperationCtx,
  slug: string,
  f: { q: string; tag: string | null; offset: number; limit: number },
): Promise<{ access: CollabAccess; rows: Array<PostRow & { rank: number }> }> {
  const a = await access(db, slug, actor);
  // Hidden posts are not searchable except by organizers: a match would reveal their words.
  return { access: a, rows: await store.searchPosts(db, a.collab.id, { ...f, withHidden: a.role === 'organizer', limit: f.limit + 1 }) };
}

export type NewForMe = { since: number; upTo: number } & Record<store.NewForMeGroup, { total: number; capped: boolean; items: PostRow[] }>;

/**
 * What is new for the caller since their read cursor; a post may be in more than one group. Two
 * statements whatever the history: the window with every group's ids and totals, then their posts.
 */
export async function newForMe({ db, actor }: OperationCtx, slug: string, limit: number): Promise<{ access: CollabAccess; news: NewForMe }> {
  const a = await access(db, slug, actor);
  const found = await store.newForMeIds(db, a.collab.id, actor!.participantId, limit);
  const ids = [...new Set(store.NEW_FOR_ME_GROUPS.flatMap((g) => found.groups[g].ids))];
  const posts = new Map((await store.findPostsByIds(db, a.collab.id, ids)).map((p) => [p.id, p]));
  const group = (g: store.NewForMeGroup) => ({ ...found.groups[g], items: found.groups[g].ids.map((id) => posts.get(id)!) });
  return {
    access: a,
    news: { since: found.since, upTo: found.upTo, newThreads: group('newThreads'), repliesToMe: group('repliesToMe'), mentionsOfMe: group('mentionsOfMe'), rulings: group('rulings') },
  };
}

/** A private bookmark, not a change to the collaboration: no event (see docs/decisions/0013). */
export async function markRead({ db, actor }: OperationCtx, slug: string, upTo: number | undefined): Promise<store.ReadCursorRow> {
  const a = await access(db, slug, actor);
  if (upTo === undefined) upTo = await store.newestPostId(db, a.collab.id);
  else await loadPost(db, a.collab.id, upTo); // a cursor past the newest post would skip posts not yet written
  return store.advanceReadCursor(db, a.collab.id, actor!.participantId, upTo);
}

export async function readCursor({ db, actor }: OperationCtx, slug: string): Promise<store.ReadCursorRow | null> {
  const a = await access(db, slug, actor);
  return store.findReadCursor(db, a.collab.id, actor!.participantId);
}
