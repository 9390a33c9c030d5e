import {
  AgoraError, cursorCodec, diffLines, formatUnified, kbRoutes as r, parseReferences, renderMarkdown, type PageCategory,
} from '@agora/core';
import { appendEvent, type Queryable } from '@agora/store';
import type { Hono } from 'hono';
import { access, accessAs, isoReq } from '../collab.ts';
import { mount, type AppEnv } from '../mount.ts';

/**
 * The knowledge base: pages with every revision kept. Writes lock the page row (`for update`)
 * and compare its current revision with the caller's baseRevision, so of two edits made against
 * the same revision exactly one wins and the other gets edit_conflict with the diff to merge.
 */

interface PageRow {
  id: number;
  collaboration_id: number;
  slug: string;
  title: string;
  category: PageCategory;
  current_revision: number;
  created_by_handle: string;
  created_at: Date;
  updated_by_handle: string;
  updated_at: Date;
}

interface RevisionRow {
  number: number;
  author_handle: string;
  title: string;
  body: string;
  category: PageCategory;
  summary: string;
  reverted_from: number | null;
  bytes: number;
  created_at: Date;
}

const pagesCursor = cursorCodec('pages', ['string']);
const pageSearchCursor = cursorCodec('page-search', ['string', 'int']);
const pageRevisionsCursor = cursorCodec('page-revisions', ['int']);

const PAGE_COLUMNS = `p.id, p.collaboration_id, p.slug, p.title, p.category, p.current_revision, p.created_at, p.updated_at,
  cb.handle as created_by_handle, ub.handle as updated_by_handle`;
const PAGE_JOINS = 'join participants cb on cb.id = p.created_by join participants ub on ub.id = p.updated_by';
const REVISION_COLUMNS = `r.number, r.title, r.category, r.summary, r.reverted_from, r.created_at,
  octet_length(r.body) as bytes, a.handle as author_handle`;

const pageOut = (p: PageRow) => ({
  id: p.id, slug: p.slug, title: p.title, category: p.category, currentRevision: p.current_revision,
  createdBy: p.created_by_handle, createdAt: isoReq(p.created_at), updatedBy: p.updated_by_handle, updatedAt: isoReq(p.updated_at),
});

const revisionInfoOut = (v: Omit<RevisionRow, 'body'>) => ({
  number: v.number, author: v.author_handle, title: v.title, category: v.category, summary: v.summary,
  revertedFrom: v.reverted_from, bytes: v.bytes, createdAt: isoReq(v.created_at),
});

async function findPage(db: Queryable, collabId: number, slug: string, opts: { lock?: boolean } = {}): Promise<PageRow> {
  // Concurrent writers to one page queue on this row lock. It is taken without joins: after the
  // wait, PostgreSQL re-checks a locked row against the other rows it was joined with, and the
  // participant who was the last editor no longer matches the new updated_by: the page would vanish.
  if (opts.lock) await db.query('select id from pages where collaboration_id = $1 and slug = $2 for update', [collabId, slug]);
  const [page] = await db.query<PageRow>(
    `select ${PAGE_COLUMNS} from pages p ${PAGE_JOINS} where p.collaboration_id = $1 and p.slug = $2`,
    [collabId, slug],
  );
  if (!page) throw new AgoraError('not_found', `page "${slug}" not found`, { slug });
  return page;
}

async function findRevision(db: Queryable, page: PageRow, n: number): Promise<RevisionRow> {
  const [rev] = await db.query<RevisionRow>(
    `select ${REVISION_COLUMNS}, r.body from page_revisions r join participants a on a.id = r.author_id
     where r.page_id = $1 and r.number = $2`,
    [page.id, n],
  );
  if (!rev) throw new AgoraError('not_found', `page "${page.slug}" has no revision ${n}; its current revision is ${page.current_revision}`, { slug: page.slug, revision: n, currentRevision: page.current_revision });
  return rev;
}

interface Resolved {
  pages: Array<{ id: number; slug: string; title: string }>;
  submissions: number[];
  posts: number[];
}

/**
 * The targets of `[[slug]]`, `#s123` and `#p45` in a body, all in this collaboration. Unknown
 * targets are refused with 422 naming every one of them. Call after the page row exists (or is
 * locked), so a page may link to itself.
 */
async function resolveReferences(tx: Queryable, collabId: number, body: string): Promise<Resolved> {
  const refs = parseReferences(body);
  const pages = refs.pages.length
    ? await tx.query<{ id: number; slug: string; title: string }>(
        'select id, slug, title from pages where collaboration_id = $1 and slug = any($2::text[]) order by slug', [collabId, refs.pages])
    : [];
  const ids = async (table: 'submissions' | 'posts', want: number[]) =>
    want.length
      ? (await tx.query<{ id: number }>(`select id from ${table} where collaboration_id = $1 and id = any($2::int[]) order by id`, [collabId, want])).map((x) => x.id)
      : [];
  const submissions = await ids('submissions', refs.submissions);
  const posts = await ids('posts', refs.posts);
  const unknown = {
    pages: refs.pages.filter((s) => !pages.some((p) => p.slug === s)),
    submissions: refs.submissions.filter((n) => !submissions.includes(n)),
    posts: refs.posts.filter((n) => !posts.includes(n)),
  };
  const names = [...unknown.pages.map((s) => `[[${s}]]`), ...unknown.submissions.map((n) => `#s${n}`), ...unknown.posts.map((n) => `#p${n}`)];
  if (names.length) {
    throw new AgoraError('unprocessable', `unknown references: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ` and ${names.length - 20} more` : ''}; link only to pages, submissions and posts that exist in this collaboration`, { unknown });
  }
  return { pages, submissions, posts };
}

async function writeEdges(tx: Queryable, pageId: number, refs: Resolved): Promise<void> {
  await tx.query('delete from page_edges where page_id = $1', [pageId]);
  const rows = [
    ...refs.pages.map((p) => ['page', p.slug, p.id] as const),
    ...refs.submissions.map((n) => ['submission', String(n), n] as const),
    ...refs.posts.map((n) => ['post', String(n), n] as const),
  ];
  if (!rows.length) return;
  await tx.query(
    `insert into page_edges (page_id, kind, target, target_id)
     select $1, k, t, i from unnest($2::text[], $3::text[], $4::int[]) as e(k, t, i)`,
    [pageId, rows.map((x) => x[0]), rows.map((x) => x[1]), rows.map((x) => x[2])],
  );
}

interface NewRevision {
  title: string;
  category: PageCategory;
  body: string;
  summary: string;
  revertedFrom?: number;
}

/** Appends revision current+1 to a locked page and makes it current, with its edges. */
async function writeRevision(tx: Queryable, page: PageRow, authorId: number, next: NewRevision): Promise<number> {
  const number = page.current_revision + 1;
  await tx.query(
    `insert into page_revisions (page_id, number, author_id, title, body, category, summary, reverted_from)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [page.id, number, authorId, next.title, next.body, next.category, next.summary, next.revertedFrom ?? null],
  );
  // The condition on current_revision is a second guard: it can only fail if the row was not locked.
  const updated = await tx.query(
    `update pages set current_revision = $2, title = $3, category = $4, updated_by = $5, updated_at = now(),
       search = kb_page_search(slug, $3, $6)
     where id = $1 and current_revision = $7 returning id`,
    [page.id, number, next.title, next.category, authorId, next.body, page.current_revision],
  );
  if (!updated.length) throw new AgoraError('conflict', 'a concurrent change got there first; try again');
  await writeEdges(tx, page.id, await resolveReferences(tx, page.collaboration_id, next.body));
  return number;
}

function diffOut(slug: string, from: { number: number; title: string; category: PageCategory; body: string }, to: typeof from, context = 3) {
  const d = diffLines(from.body, to.body, { context });
  return {
    slug, from: from.number, to: to.number,
    title: from.title === to.title ? null : { from: from.title, to: to.title },
    category: from.category === to.category ? null : { from: from.category, to: to.category },
    added: d.added, removed: d.removed, minimal: d.minimal, hunks: d.hunks,
    unified: formatUnified(d, `${slug}@${from.number}`, `${slug}@${to.number}`),
  };
}

/** The page at one revision, with safe HTML, what it links to, and what links to it. */
async function detailOut(db: Queryable, collabSlug: string, page: PageRow, rev: RevisionRow) {
  const refs = parseReferences(rev.body);
  const linked = refs.pages.length
    ? await db.query<{ slug: string; title: string }>(
        'select slug, title from pages where collaboration_id = $1 and slug = any($2::text[]) order by slug', [page.collaboration_id, refs.pages])
    : [];
  const linkedFrom = await db.query<{ slug: string; title: string }>(
    `select p.slug, p.title from page_edges e join pages p on p.id = e.page_id
     where e.kind = 'page' and e.target_id = $1 and e.page_id <> $1 order by p.slug limit 200`,
    [page.id],
  );
  const posts = await db.query<{ id: number }>(
    `select e.post_id as id from post_edges e join posts p on p.id = e.post_id
     where e.kind = 'page' and e.target = $2 and p.collaboration_id = $1 and p.hidden_at is null order by e.post_id desc limit 200`,
    [page.collaboration_id, page.slug],
  );
  return {
    page: pageOut(page),
    revision: { ...revisionInfoOut(rev), body: rev.body },
    html: renderMarkdown(rev.body, collabSlug),
    links: { pages: linked, submissions: refs.submissions, posts: refs.posts },
    linkedFrom,
    linkedFromPosts: posts.map((x) => x.id),
  };
}

const sameContent = (a: { title: string; category: string; body: string }, b: typeof a) =>
  a.title === b.title && a.category === b.category && a.body === b.body;

/** Refuses a write whose base is not the current revision; the details carry what a merge needs. */
async function checkBase(tx: Queryable, page: PageRow, base: number): Promise<RevisionRow> {
  const current = await findRevision(tx, page, page.current_revision);
  if (base === page.current_revision) return current;
  if (base > page.current_revision) {
    throw new AgoraError('unprocessable', `baseRevision ${base} does not exist: page "${page.slug}" is at revision ${page.current_revision}`, { baseRevision: base, currentRevision: page.current_revision });
  }
  const baseRev = await findRevision(tx, page, base);
  throw new AgoraError(
    'edit_conflict',
    `page "${page.slug}" was edited since revision ${base}: it is at revision ${page.current_revision} (by @${current.author_handle}); merge the diff in details and retry with baseRevision ${page.current_revision}`,
    {
      slug: page.slug,
      baseRevision: base,
      currentRevision: page.current_revision,
      author: current.author_handle,
      editedAt: isoReq(current.created_at),
      summary: current.summary,
      diff: diffOut(page.slug, baseRev, current),
    },
  );
}

export function mountKb(app: Hono<AppEnv>) {
  mount(app, r.createPage, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const page = await db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: number }>(
        `insert into pages (collaboration_id, slug, title, category, current_revision, created_by, updated_by, search)
         values ($1, $2, $3, $4, 1, $5, $5, kb_page_search($2, $3, $6))
         on conflict (collaboration_id, slug) do nothing returning id`,
        [a.collab.id, body.slug, body.title, body.category, a.actor.participantId, body.body],
      );
      if (!row) throw new AgoraError('conflict', `a page "${body.slug}" exists already: edit it with its current revision as baseRevision`, { slug: body.slug });
      await tx.query(
        `insert into page_revisions (page_id, number, author_id, title, body, category, summary) values ($1, 1, $2, $3, $4, $5, $6)`,
        [row.id, a.actor.participantId, body.title, body.body, body.category, body.summary],
      );
      await writeEdges(tx, row.id, await resolveReferences(tx, a.collab.id, body.body));
      await appendEvent(tx, {
        collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'page.created', subject: `[[${body.slug}]]`,
        payload: { slug: body.slug, title: body.title, category: body.category, revision: 1, summary: body.summary },
      });
      return findPage(tx, a.collab.id, body.slug);
    });
    return detailOut(db, a.collab.slug, page, await findRevision(db, page, 1));
  });

  mount(app, r.listPages, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const after = pagesCursor.decode(query.cursor)?.[0] ?? null;
    let edge: [string, string] | null = null;
    if (query.linksTo) {
      const m = /^#([sp])(\d+)$/.exec(query.linksTo);
      edge = m ? [m[1] === 's' ? 'submission' : 'post', String(Number(m[2]))] : ['page', query.linksTo.replace(/^\[\[|\]\]$/g, '')];
    }
    const rows = await db.query<PageRow>(
      `select ${PAGE_COLUMNS} from pages p ${PAGE_JOINS}
       where p.collaboration_id = $1 and ($2::text is null or p.category = $2) and ($3::text is null or p.slug > $3)
         and ($4::text is null or exists (select 1 from page_edges e where e.page_id = p.id and e.kind = $4 and e.target = $5))
       order by p.slug limit $6`,
      [a.collab.id, query.category ?? null, after, edge?.[0] ?? null, edge?.[1] ?? null, query.limit + 1],
    );
    const items = rows.slice(0, query.limit);
    return { items: items.map(pageOut), nextCursor: rows.length > query.limit ? pagesCursor.encode([items.at(-1)!.slug]) : null };
  });

  // Mounted before getPage: `/pages/search` must not be read as the page "search" (a reserved slug anyway).
  mount(app, r.searchPages, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    // Ranks are rounded to a numeric (carried as text in the cursor) so the (rank, id) keyset compares exactly.
    const after = pageSearchCursor.decode(query.cursor);
    if (after && !/^\d{1,3}(\.\d{1,6})?$/.test(String(after[0]))) throw new AgoraError('validation_failed', 'invalid cursor: pass back the nextCursor of the previous page unchanged');
    const rows = await db.query<PageRow & { rank: number; snippet: string }>(
      `with q as (select websearch_to_tsquery('english', $2) as q),
       hits as (
         select p.*, round(ts_rank(p.search, q.q, 1)::numeric, 6) as rank
         from pages p, q where p.collaboration_id = $1 and p.search @@ q.q and ($3::text is null or p.category = $3)
       )
       select h.id, h.collaboration_id, h.slug, h.title, h.category, h.current_revision, h.created_at, h.updated_at,
         cb.handle as created_by_handle, ub.handle as updated_by_handle, h.rank,
         ts_headline('english', rv.body, q.q, 'StartSel=**, StopSel=**, MaxWords=35, MinWords=10, MaxFragments=2, FragmentDelimiter=" … "') as snippet
       from hits h cross join q
       join participants cb on cb.id = h.created_by join participants ub on ub.id = h.updated_by
       join page_revisions rv on rv.page_id = h.id and rv.number = h.current_revision
       where $4::numeric is null or (h.rank, h.id) < ($4::numeric, $5::int)
       order by h.rank desc, h.id desc limit $6`,
      [a.collab.id, query.q, query.category ?? null, after?.[0] ?? null, after?.[1] ?? null, query.limit + 1],
    );
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items: items.map((p) => ({ ...pageOut(p), rank: Number(p.rank), snippet: p.snippet })),
      nextCursor: rows.length > query.limit && last ? pageSearchCursor.encode([Number(last.rank).toFixed(6), last.id]) : null,
    };
  });

  mount(app, r.getPage, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const page = await findPage(db, a.collab.id, params.slug);
    return detailOut(db, a.collab.slug, page, await findRevision(db, page, query.revision ?? page.current_revision));
  });

  mount(app, r.editPage, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const page = await db.transaction(async (tx) => {
      const locked = await findPage(tx, a.collab.id, params.slug, { lock: true });
      const current = await checkBase(tx, locked, body.baseRevision);
      const next = { title: body.title ?? current.title, category: body.category ?? current.category, body: body.body ?? current.body };
      if (sameContent(next, current)) {
        throw new AgoraError('unprocessable', `the edit changes nothing: revision ${locked.current_revision} already has this title, category and body`, { currentRevision: locked.current_revision });
      }
      const number = await writeRevision(tx, locked, a.actor.participantId, { ...next, summary: body.summary });
      await appendEvent(tx, {
        collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'page.edited', subject: `[[${locked.slug}]]`,
        payload: { slug: locked.slug, title: next.title, category: next.category, revision: number, baseRevision: body.baseRevision, summary: body.summary },
      });
      return findPage(tx, a.collab.id, params.slug);
    });
    return detailOut(db, a.collab.slug, page, await findRevision(db, page, page.current_revision));
  });

  mount(app, r.listPageRevisions, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const page = await findPage(db, a.collab.id, params.slug);
    const before = pageRevisionsCursor.decode(query.cursor)?.[0] ?? null;
    const rows = await db.query<Omit<RevisionRow, 'body'>>(
      `select ${REVISION_COLUMNS} from page_revisions r join participants a on a.id = r.author_id
       where r.page_id = $1 and ($2::int is null or r.number < $2) order by r.number desc limit $3`,
      [page.id, before, query.limit + 1],
    );
    const items = rows.slice(0, query.limit);
    return { items: items.map(revisionInfoOut), nextCursor: rows.length > query.limit ? pageRevisionsCursor.encode([items.at(-1)!.number]) : null };
  });

  mount(app, r.diffPage, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const page = await findPage(db, a.collab.id, params.slug);
    const to = query.to ?? page.current_revision;
    const from = query.from ?? Math.max(1, to - 1);
    const [fromRev, toRev] = [await findRevision(db, page, from), await findRevision(db, page, to)];
    return diffOut(page.slug, fromRev, toRev, query.context);
  });

  mount(app, r.revertPage, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const page = await db.transaction(async (tx) => {
      const locked = await findPage(tx, a.collab.id, params.slug, { lock: true });
      const current = await checkBase(tx, locked, body.baseRevision);
      const target = await findRevision(tx, locked, body.revision);
      if (sameContent(target, current)) {
        throw new AgoraError('unprocessable', `revision ${locked.current_revision} already has the content of revision ${body.revision}: nothing to revert`, { revision: body.revision, currentRevision: locked.current_revision });
      }
      const summary = body.summary || `revert to revision ${body.revision}`;
      const number = await writeRevision(tx, locked, a.actor.participantId, {
        title: target.title, category: target.category, body: target.body, summary, revertedFrom: body.revision,
      });
      await appendEvent(tx, {
        collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'page.reverted', subject: `[[${locked.slug}]]`,
        payload: { slug: locked.slug, title: target.title, category: target.category, revision: number, revertedFrom: body.revision, baseRevision: body.baseRevision, summary },
      });
      return findPage(tx, a.collab.id, params.slug);
    });
    return detailOut(db, a.collab.slug, page, await findRevision(db, page, page.current_revision));
  });
}
