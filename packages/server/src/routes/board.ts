import {
  boardLinks, boardRoutes as r, cursorCodec, mayReadPostWords, parseReferences, renderMarkdown,
  type Post, type PostSummary, type References, type Role,
} from '@agora/core';
import type { Hono } from 'hono';
import { iso, isoReq } from '../collab.ts';
import { mount, type AppEnv } from '../mount.ts';
import * as board from '../operations/board.ts';
import { postFacts, type PostRow } from '../operations/board.ts';

/** The board's HTTP handlers: each parses, calls one operation (operations/board.ts), shapes the answer. */

const EXCERPT_CHARS = 280;

const threadsCursor = cursorCodec('threads', ['int']);
const repliesCursor = cursorCodec('replies', ['int']);
const postRevisionsCursor = cursorCodec('post-revisions', ['int']);
const postSearchCursor = cursorCodec('post-search', ['int']);

const canRead = (p: PostRow, role: Role | null) => mayReadPostWords(postFacts(p), role);

const hiddenOut = (p: PostRow) =>
  p.hidden_at ? { reason: p.hidden_reason ?? '', by: p.hidden_by_handle ?? '', at: isoReq(p.hidden_at) } : null;

function refsOut(refs: References, slug: string) {
  const links = boardLinks(slug);
  return {
    mentions: refs.mentions.map((handle) => ({ handle })),
    submissions: refs.submissions.map((id) => ({ id, url: links.submission(id) })),
    pages: refs.pages.map((s) => ({ slug: s, url: links.page(s) })),
    posts: refs.posts.map((id) => ({ id, url: links.post(id) })),
  };
}

export function postOut(p: PostRow, role: Role | null, slug: string): Post {
  const visible = canRead(p, role);
  return {
    id: p.id,
    threadId: p.thread_id ?? p.id,
    replyTo: p.reply_to,
    author: p.author_handle,
    title: visible ? p.title : null,
    body: visible ? p.body : null,
    html: visible ? renderMarkdown(p.body, slug) : null,
    tags: p.tags,
    refs: visible ? refsOut(parseReferences(p.body), slug) : null,
    revision: p.revision,
    createdAt: isoReq(p.created_at),
    editedAt: iso(p.edited_at),
    hidden: hiddenOut(p),
    pinnedAt: iso(p.pinned_at),
    url: boardLinks(slug).post(p.id),
  };
}

function excerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length <= EXCERPT_CHARS ? flat : `${flat.slice(0, EXCERPT_CHARS - 1)}…`;
}

export function summaryOut(p: PostRow, role: Role | null, slug: string): PostSummary {
  const visible = canRead(p, role);
  return {
    id: p.id,
    threadId: p.thread_id ?? p.id,
    replyTo: p.reply_to,
    author: p.author_handle,
    title: visible ? p.title : null,
    excerpt: visible ? excerpt(p.body) : null,
    tags: p.tags,
    revision: p.revision,
    createdAt: isoReq(p.created_at),
    hidden: hiddenOut(p),
    pinnedAt: iso(p.pinned_at),
    url: boardLinks(slug).post(p.id),
  };
}

export function mountBoard(app: Hono<AppEnv>) {
  mount(app, r.createPost, async ({ actor, params, body, services: { db } }) => {
    const { access: a, post } = await board.createPost({ db, actor }, params.collab, body);
    return postOut(post, a.role, a.collab.slug);
  });

  mount(app, r.listThreads, async ({ actor, params, query, services: { db } }) => {
    const [before] = threadsCursor.decode(query.cursor) ?? [null];
    const { access: a, rows } = await board.listThreads({ db, actor }, params.collab, {
      tag: query.tag ?? null, author: query.author ?? null, beforeId: before, limit: query.limit, pinned: query.pinned,
    });
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((p) => ({ ...summaryOut(p, a.role, a.collab.slug), replyCount: p.reply_count, lastActivityAt: isoReq(p.last_activity_at) })),
      nextCursor: rows.length > query.limit ? threadsCursor.encode([page.at(-1)!.id]) : null,
    };
  });

  mount(app, r.getPost, async ({ actor, params, query, services: { db } }) => {
    const [after] = repliesCursor.decode(query.cursor) ?? [0];
    const { access: a, post, thread, replies } = await board.readThread({ db, actor }, params.collab, params.id, { afterId: after, limit: query.limit });
    const page = replies.slice(0, query.limit);
    const out = (p: PostRow) => postOut(p, a.role, a.collab.slug);
    return {
      post: out(post),
      thread: out(thread),
      replies: { items: page.map(out), nextCursor: replies.length > query.limit ? repliesCursor.encode([page.at(-1)!.id]) : null },
    };
  });

  mount(app, r.editPost, async ({ actor, params, body, services: { db } }) => {
    const { access: a, post } = await board.editPost({ db, actor }, params.collab, params.id, body);
    return postOut(post, a.role, a.collab.slug);
  });

  mount(app, r.listRevisions, async ({ actor, params, query, services: { db } }) => {
    const [before] = postRevisionsCursor.decode(query.cursor) ?? [null];
    const { access: a, post, rows } = await board.listPostRevisions({ db, actor }, params.collab, params.id, { beforeRevision: before, limit: query.limit });
    const visible = canRead(post, a.role);
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((x) => ({
        revision: x.revision, title: visible ? x.title : null, body: visible ? x.body : null, tags: x.tags, editor: x.editor, createdAt: isoReq(x.created_at),
      })),
      nextCursor: rows.length > query.limit ? postRevisionsCursor.encode([page.at(-1)!.revision]) : null,
    };
  });

  mount(app, r.hidePost, async ({ actor, params, body, services: { db } }) => {
    const { access: a, post } = await board.hidePost({ db, actor }, params.collab, params.id, body.reason);
    return postOut(post, a.role, a.collab.slug);
  });

  mount(app, r.searchPosts, async ({ actor, params, query, services: { db } }) => {
    const [offset] = postSearchCursor.decode(query.cursor) ?? [0];
    const { access: a, rows } = await board.searchPosts({ db, actor }, params.collab, { q: query.q, tag: query.tag ?? null, offset, limit: query.limit });
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((p) => ({ ...summaryOut(p, a.role, a.collab.slug), rank: Number(p.rank) })),
      nextCursor: rows.length > query.limit ? postSearchCursor.encode([offset + query.limit]) : null,
    };
  });

  mount(app, r.boardNew, async ({ actor, params, query, services: { db } }) => {
    const { access: a, news } = await board.newForMe({ db, actor }, params.collab, query.limit);
    const group = (g: { total: number; capped: boolean; items: PostRow[] }) => ({ total: g.total, totalCapped: g.capped, items: g.items.map((p) => summaryOut(p, a.role, a.collab.slug)) });
    return {
      since: news.since,
      upTo: news.upTo,
      newThreads: group(news.newThreads),
      repliesToMe: group(news.repliesToMe),
      mentionsOfMe: group(news.mentionsOfMe),
      rulings: group(news.rulings),
    };
  });

  mount(app, r.markRead, async ({ actor, params, body, services: { db } }) => {
    const row = await board.markRead({ db, actor }, params.collab, body.upTo);
    return { lastReadPostId: row.last_read_post_id, updatedAt: iso(row.updated_at) };
  });

  mount(app, r.getReadCursor, async ({ actor, params, services: { db } }) => {
    const row = await board.readCursor({ db, actor }, params.collab);
    return { lastReadPostId: row?.last_read_post_id ?? 0, updatedAt: iso(row?.updated_at) };
  });
}
