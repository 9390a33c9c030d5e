import {
  AgoraError, boardLinks, boardRoutes as r, checkPostRate, cursorCodec, ORGANIZER_TAGS, parseReferences, renderMarkdown,
  type Post, type PostSummary, type References, type Role,
} from '@agora/core';
import { appendEvent, type Queryable } from '@agora/store';
import type { Hono } from 'hono';
import { access, accessAs, iso, isoReq } from '../collab.ts';
import { mount, type AppEnv } from '../mount.ts';

/** How many times one post may be rewritten; bounds what one author can make the server keep. */
const MAX_REVISIONS = 100;
/** More mentions than this in one post is a broadcast, not a conversation. */
const MAX_MENTIONS = 50;
const EXCERPT_CHARS = 280;
/** Per-collaboration lock for post writes (two-key advisory lock, released at commit). */
const POST_LOCK = 4242010;

const threadsCursor = cursorCodec('threads', ['int']);
const repliesCursor = cursorCodec('replies', ['int']);
const postRevisionsCursor = cursorCodec('post-revisions', ['int']);
const postSearchCursor = cursorCodec('post-search', ['int']);

interface PostRow {
  id: number;
  collaboration_id: number;
  author_id: number;
  author_handle: string;
  thread_id: number | null;
  reply_to: number | null;
  title: string | null;
  body: string;
  tags: string[];
  revision: number;
  edited_at: Date | null;
  hidden_at: Date | null;
  hidden_by_handle: string | null;
  hidden_reason: string | null;
  reply_count: number;
  last_activity_at: Date;
  created_at: Date;
}

const selectPost = (extra = '') => `
  select p.id, p.collaboration_id, p.author_id, a.handle as author_handle, p.thread_id, p.reply_to, p.title, p.body,
         p.tags, p.revision, p.edited_at, p.hidden_at, h.handle as hidden_by_handle, p.hidden_reason,
         p.reply_count, p.last_activity_at, p.created_at${extra}
  from posts p join participants a on a.id = p.author_id left join participants h on h.id = p.hidden_by`;

/** Hidden posts keep their place, their author and tags; their words are for organizers only. */
const canRead = (p: PostRow, role: Role | null) => !p.hidden_at || role === 'organizer';

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
    url: boardLinks(slug).post(p.id),
  };
}

async function loadPost(db: Queryable, collabId: number, id: number, forUpdate = false): Promise<PostRow> {
  // FOR UPDATE cannot apply to the nullable side of an outer join: lock the post row first.
  if (forUpdate) await db.query('select 1 from posts where id = $1 and collaboration_id = $2 for update', [id, collabId]);
  const [p] = await db.query<PostRow>(`${selectPost()} where p.id = $1 and p.collaboration_id = $2`, [id, collabId]);
  if (!p) throw new AgoraError('not_found', `post #p${id} not found in this collaboration`, { post: id });
  return p;
}

interface Edges {
  refs: References;
  mentionIds: Map<string, number>;
}

/**
 * Every reference in the body must name something that exists in this collaboration: members for
 * @mentions, submissions, posts and knowledge-base pages. Unknown ones refuse the whole post,
 * listing each, so that a typo never silently becomes plain text (or a mention nobody receives).
 */
async function resolveReferences(tx: Queryable, collabId: number, slug: string, body: string): Promise<Edges> {
  const refs = parseReferences(body);
  if (refs.mentions.length > MAX_MENTIONS)
    throw new AgoraError('unprocessable', `a post may mention at most ${MAX_MENTIONS} participants; this one mentions ${refs.mentions.length}`, { max: MAX_MENTIONS });
  const unknown: References = { mentions: [], submissions: [], pages: [], posts: [] };
  const mentionIds = new Map<string, number>();
  if (refs.mentions.length) {
    const rows = await tx.query<{ id: number; handle: string }>(
      `select p.id, p.handle from participants p join memberships m on m.participant_id = p.id and m.collaboration_id = $1
       where p.handle = any($2::text[])`,
      [collabId, refs.mentions],
    );
    for (const row of rows) mentionIds.set(row.handle, row.id);
    unknown.mentions = refs.mentions.filter((h) => !mentionIds.has(h));
  }
  const existingIds = async (table: 'submissions' | 'posts', ids: number[]) => {
    if (!ids.length) return [];
    const rows = await tx.query<{ id: number }>(`select id from ${table} where collaboration_id = $1 and id = any($2::int[])`, [collabId, ids]);
    const found = new Set(rows.map((x) => x.id));
    return ids.filter((id) => !found.has(id));
  };
  unknown.submissions = await existingIds('submissions', refs.submissions);
  unknown.posts = await existingIds('posts', refs.posts);
  if (refs.pages.length) {
    // The knowledge base has its own migration; until it exists, every page reference is unknown.
    const [t] = await tx.query<{ present: boolean }>(`select to_regclass('pages') is not null as present`);
    const rows = t?.present
      ? await tx.query<{ slug: string }>('select slug from pages where collaboration_id = $1 and slug = any($2::text[])', [collabId, refs.pages])
      : [];
    const found = new Set(rows.map((x) => x.slug));
    unknown.pages = refs.pages.filter((s) => !found.has(s));
  }
  const listed = [
    ...unknown.mentions.map((h) => `@${h}`),
    ...unknown.submissions.map((id) => `#s${id}`),
    ...unknown.posts.map((id) => `#p${id}`),
    ...unknown.pages.map((s) => `[[${s}]]`),
  ];
  if (listed.length)
    throw new AgoraError(
      'unprocessable',
      `unknown references: ${listed.join(', ')} (mentions must be members of "${slug}"; put code in backticks so it is not read as references)`,
      { unknown },
    );
  return { refs, mentionIds };
}

async function writeEdges(tx: Queryable, postId: number, e: Edges): Promise<void> {
  await tx.query('delete from post_edges where post_id = $1', [postId]);
  const kinds: string[] = [];
  const targets: string[] = [];
  const ids: Array<number | null> = [];
  const add = (k: string, t: string, id: number | null) => (kinds.push(k), targets.push(t), ids.push(id));
  for (const h of e.refs.mentions) add('mention', h, e.mentionIds.get(h)!);
  for (const id of e.refs.submissions) add('submission', String(id), id);
  for (const id of e.refs.posts) add('post', String(id), id);
  for (const s of e.refs.pages) add('page', s, null);
  if (!kinds.length) return;
  await tx.query(
    `insert into post_edges (post_id, kind, target, target_id)
     select $1, k, t, i from unnest($2::text[], $3::text[], $4::int[]) as u(k, t, i)`,
    [postId, kinds, targets, ids],
  );
}

function checkTags(tags: string[], role: Role) {
  const reserved = tags.filter((t) => ORGANIZER_TAGS.includes(t));
  if (reserved.length && role !== 'organizer')
    throw new AgoraError('forbidden', `only organizers may tag a post ${reserved.map((t) => `"${t}"`).join(', ')}`, { tags: reserved });
}

async function checkRate(tx: Queryable, collabId: number, authorId: number): Promise<void> {
  const [{ now }] = (await tx.query<{ now: Date }>('select now() as now')) as [{ now: Date }];
  const recent = await tx.query<{ created_at: Date }>(
    `select created_at from posts where collaboration_id = $1 and author_id = $2 and created_at > now() - interval '1 hour'`,
    [collabId, authorId],
  );
  const d = checkPostRate(recent.map((x) => x.created_at), now);
  if (!d.nextAllowedAt) return;
  const retryAfterSeconds = Math.max(1, Math.ceil((d.nextAllowedAt.getTime() - now.getTime()) / 1000));
  const per = d.window!.seconds === 60 ? 'a minute' : d.window!.seconds === 3600 ? 'an hour' : `${d.window!.seconds} seconds`;
  throw new AgoraError(
    'rate_limited',
    `posting too fast: at most ${d.window!.max} posts ${per}; your next post is allowed at ${d.nextAllowedAt.toISOString()} (in ${retryAfterSeconds} s)`,
    { nextAllowedAt: d.nextAllowedAt.toISOString(), retryAfterSeconds, limit: { max: d.window!.max, seconds: d.window!.seconds } },
  );
}

const visibleWhere = (role: Role | null) => (role === 'organizer' ? 'true' : 'p.hidden_at is null');

export function mountBoard(app: Hono<AppEnv>) {
  mount(app, r.createPost, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    if (body.replyTo === undefined && body.title === undefined)
      throw new AgoraError('validation_failed', 'a new thread needs a title (or give replyTo to reply)', { issues: [{ path: 'body.title', message: 'required for a thread' }] });
    if (body.replyTo !== undefined && body.title !== undefined)
      throw new AgoraError('validation_failed', 'a reply has no title of its own', { issues: [{ path: 'body.title', message: 'not allowed on a reply' }] });
    checkTags(body.tags, a.role);
    const me = a.actor.participantId;
    const row = await db.transaction(async (tx) => {
      // Post writes in one collaboration go one at a time: ids become visible in id order (so a read
      // cursor never skips a late commit) and the rate check cannot be raced.
      await tx.query('select pg_advisory_xact_lock($1, $2)', [POST_LOCK, a.collab.id]);
      if (a.role !== 'organizer') await checkRate(tx, a.collab.id, me);
      let threadId: number | null = null;
      if (body.replyTo !== undefined) {
        const parent = await loadPost(tx, a.collab.id, body.replyTo);
        if (parent.hidden_at) throw new AgoraError('conflict', `post #p${parent.id} is hidden by an organizer; reply in its thread instead`, { post: parent.id });
        threadId = parent.thread_id ?? parent.id;
      }
      const edges = await resolveReferences(tx, a.collab.id, a.collab.slug, body.body);
      const [p] = await tx.query<{ id: number }>(
        `insert into posts (collaboration_id, author_id, thread_id, reply_to, title, body, tags)
         values ($1, $2, $3, $4, $5, $6, $7::text[]) returning id`,
        [a.collab.id, me, threadId, body.replyTo ?? null, body.title ?? null, body.body, body.tags],
      );
      const id = p!.id;
      await tx.query(
        `insert into post_revisions (post_id, revision, title, body, tags, editor_id) values ($1, 1, $2, $3, $4::text[], $5)`,
        [id, body.title ?? null, body.body, body.tags, me],
      );
      await writeEdges(tx, id, edges);
      if (threadId !== null)
        await tx.query('update posts set reply_count = reply_count + 1, last_activity_at = now() where id = $1', [threadId]);
      await appendEvent(tx, {
        collaborationId: a.collab.id, actorId: me, type: 'post.created', subject: `#p${id}`,
        payload: { postId: id, threadId: threadId ?? id, replyTo: body.replyTo ?? null, tags: body.tags, mentions: edges.refs.mentions },
      });
      return loadPost(tx, a.collab.id, id);
    });
    return postOut(row, a.role, a.collab.slug);
  });

  mount(app, r.listThreads, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const [before] = threadsCursor.decode(query.cursor) ?? [null];
    const rows = await db.query<PostRow>(
      `${selectPost()} where p.collaboration_id = $1 and p.thread_id is null
         and ($2::text is null or $2 = any(p.tags)) and ($3::text is null or a.handle = $3)
         and ($4::int is null or p.id < $4)
       order by p.id desc limit $5`,
      [a.collab.id, query.tag ?? null, query.author ?? null, before, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((p) => ({ ...summaryOut(p, a.role, a.collab.slug), replyCount: p.reply_count, lastActivityAt: isoReq(p.last_activity_at) })),
      nextCursor: rows.length > query.limit ? threadsCursor.encode([page.at(-1)!.id]) : null,
    };
  });

  mount(app, r.getPost, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const post = await loadPost(db, a.collab.id, params.id);
    const thread = post.thread_id === null ? post : await loadPost(db, a.collab.id, post.thread_id);
    const [after] = repliesCursor.decode(query.cursor) ?? [0];
    const rows = await db.query<PostRow>(
      `${selectPost()} where p.thread_id = $1 and p.id > $2 order by p.id limit $3`,
      [thread.id, after, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    const out = (p: PostRow) => postOut(p, a.role, a.collab.slug);
    return {
      post: out(post),
      thread: out(thread),
      replies: { items: page.map(out), nextCursor: rows.length > query.limit ? repliesCursor.encode([page.at(-1)!.id]) : null },
    };
  });

  mount(app, r.editPost, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const me = a.actor.participantId;
    const row = await db.transaction(async (tx) => {
      const p = await loadPost(tx, a.collab.id, params.id, true);
      if (p.author_id !== me && a.role !== 'organizer')
        throw new AgoraError('forbidden', `post #p${p.id} is @${p.author_handle}'s: only its author or an organizer may edit it`, { post: p.id });
      if (p.hidden_at && a.role !== 'organizer')
        throw new AgoraError('conflict', `post #p${p.id} is hidden by an organizer and can no longer be edited by its author`, { post: p.id });
      if (body.expectedRevision !== undefined && body.expectedRevision !== p.revision)
        throw new AgoraError('edit_conflict', `post #p${p.id} is at revision ${p.revision}, not ${body.expectedRevision}: read it again and redo the edit`, { currentRevision: p.revision });
      if (body.title !== undefined && p.thread_id !== null)
        throw new AgoraError('validation_failed', 'a reply has no title of its own', { issues: [{ path: 'body.title', message: 'not allowed on a reply' }] });
      const next = { title: body.title ?? p.title, body: body.body ?? p.body, tags: body.tags ?? p.tags };
      if (body.tags) checkTags(body.tags.filter((t) => !p.tags.includes(t)), a.role);
      if (next.title === p.title && next.body === p.body && next.tags.join() === p.tags.join()) return p; // nothing changed
      if (p.revision >= MAX_REVISIONS)
        throw new AgoraError('conflict', `post #p${p.id} has reached ${MAX_REVISIONS} revisions; write a new post instead`, { max: MAX_REVISIONS });
      const edges = await resolveReferences(tx, a.collab.id, a.collab.slug, next.body);
      await tx.query(
        `update posts set title = $2, body = $3, tags = $4::text[], revision = revision + 1, edited_at = now() where id = $1`,
        [p.id, next.title, next.body, next.tags],
      );
      await tx.query(
        `insert into post_revisions (post_id, revision, title, body, tags, editor_id) values ($1, $2, $3, $4, $5::text[], $6)`,
        [p.id, p.revision + 1, next.title, next.body, next.tags, me],
      );
      await writeEdges(tx, p.id, edges);
      await appendEvent(tx, {
        collaborationId: a.collab.id, actorId: me, type: 'post.edited', subject: `#p${p.id}`,
        payload: { postId: p.id, threadId: p.thread_id ?? p.id, revision: p.revision + 1, author: p.author_handle },
      });
      return loadPost(tx, a.collab.id, p.id);
    });
    return postOut(row, a.role, a.collab.slug);
  });

  mount(app, r.listRevisions, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const p = await loadPost(db, a.collab.id, params.id);
    const visible = canRead(p, a.role);
    const [before] = postRevisionsCursor.decode(query.cursor) ?? [null];
    const rows = await db.query<{ revision: number; title: string | null; body: string; tags: string[]; editor: string; created_at: Date }>(
      `select r.revision, r.title, r.body, r.tags, e.handle as editor, r.created_at
       from post_revisions r join participants e on e.id = r.editor_id
       where r.post_id = $1 and ($2::int is null or r.revision < $2) order by r.revision desc limit $3`,
      [p.id, before, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((x) => ({
        revision: x.revision, title: visible ? x.title : null, body: visible ? x.body : null, tags: x.tags, editor: x.editor, createdAt: isoReq(x.created_at),
      })),
      nextCursor: rows.length > query.limit ? postRevisionsCursor.encode([page.at(-1)!.revision]) : null,
    };
  });

  mount(app, r.hidePost, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'organizer');
    const row = await db.transaction(async (tx) => {
      const p = await loadPost(tx, a.collab.id, params.id, true);
      if (p.hidden_at) throw new AgoraError('conflict', `post #p${p.id} is already hidden (by @${p.hidden_by_handle}: ${p.hidden_reason})`, { post: p.id });
      await tx.query('update posts set hidden_at = now(), hidden_by = $2, hidden_reason = $3 where id = $1', [p.id, a.actor.participantId, body.reason]);
      await appendEvent(tx, {
        collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'post.hidden', subject: `#p${p.id}`,
        payload: { postId: p.id, threadId: p.thread_id ?? p.id, author: p.author_handle, reason: body.reason },
      });
      return loadPost(tx, a.collab.id, p.id);
    });
    return postOut(row, a.role, a.collab.slug);
  });

  mount(app, r.searchPosts, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const [offset] = postSearchCursor.decode(query.cursor) ?? [0];
    // Hidden posts are not searchable except by organizers: a match would reveal their words.
    const rows = await db.query<PostRow & { rank: number }>(
      `${selectPost(', ts_rank_cd(p.search, q) as rank')}, websearch_to_tsquery('english', $2) q
       where p.collaboration_id = $1 and p.search @@ q and ${visibleWhere(a.role)}
         and ($3::text is null or $3 = any(p.tags))
       order by ts_rank_cd(p.search, q) desc, p.id desc offset $4 limit $5`,
      [a.collab.id, query.q, query.tag ?? null, offset, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    return {
      items: page.map((p) => ({ ...summaryOut(p, a.role, a.collab.slug), rank: Number(p.rank) })),
      nextCursor: rows.length > query.limit ? postSearchCursor.encode([offset + query.limit]) : null,
    };
  });

  mount(app, r.boardNew, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const me = actor.participantId;
    const [cur] = await db.query<{ last_read_post_id: number }>(
      'select last_read_post_id from board_cursors where collaboration_id = $1 and participant_id = $2', [a.collab.id, me]);
    const since = cur?.last_read_post_id ?? 0;
    const [top] = await db.query<{ max: number | null }>('select max(id) as max from posts where collaboration_id = $1', [a.collab.id]);
    const upTo = Math.max(since, top?.max ?? 0);
    const group = async (where: string) => {
      const rows = await db.query<PostRow & { total: number }>(
        `${selectPost(', count(*) over () as total')}
         where p.collaboration_id = $1 and p.id > $2 and p.id <= $3 and p.author_id <> $4 and p.hidden_at is null and (${where})
         order by p.id limit $5`,
        [a.collab.id, since, upTo, me, query.limit],
      );
      return { total: Number(rows[0]?.total ?? 0), items: rows.map((p) => summaryOut(p, a.role, a.collab.slug)) };
    };
    // In the order the issue asks to read them; a post may be in more than one group.
    return {
      since,
      upTo,
      newThreads: await group('p.thread_id is null'),
      repliesToMe: await group(
        `p.thread_id is not null and exists (select 1 from posts t where t.author_id = $4 and (t.id = p.reply_to or t.id = p.thread_id))`),
      mentionsOfMe: await group(`exists (select 1 from post_edges e where e.post_id = p.id and e.kind = 'mention' and e.target_id = $4)`),
      rulings: await group(`'ruling' = any(p.tags)`),
    };
  });

  mount(app, r.markRead, async ({ actor, params, body, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    let upTo = body.upTo;
    if (upTo === undefined) {
      const [top] = await db.query<{ max: number | null }>('select max(id) as max from posts where collaboration_id = $1', [a.collab.id]);
      upTo = top?.max ?? 0;
    } else {
      await loadPost(db, a.collab.id, upTo); // a cursor past the newest post would skip posts not yet written
    }
    // A private bookmark, not a change to the collaboration: no event (see docs/decisions/0013).
    const [row] = await db.query<{ last_read_post_id: number; updated_at: Date }>(
      `insert into board_cursors (collaboration_id, participant_id, last_read_post_id) values ($1, $2, $3)
       on conflict (collaboration_id, participant_id) do update
         set last_read_post_id = greatest(board_cursors.last_read_post_id, excluded.last_read_post_id), updated_at = now()
       returning last_read_post_id, updated_at`,
      [a.collab.id, actor.participantId, upTo],
    );
    return { lastReadPostId: row!.last_read_post_id, updatedAt: iso(row!.updated_at) };
  });

  mount(app, r.getReadCursor, async ({ actor, params, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const [row] = await db.query<{ last_read_post_id: number; updated_at: Date }>(
      'select last_read_post_id, updated_at from board_cursors where collaboration_id = $1 and participant_id = $2', [a.collab.id, actor.participantId]);
    return { lastReadPostId: row?.last_read_post_id ?? 0, updatedAt: iso(row?.updated_at) };
  });
}
