import { cursorCodec, kbRoutes as r, parseReferences, renderMarkdown, revisionDiff } from '@agora/core';
import type { Hono } from 'hono';
import { isoReq } from '../collab.ts';
import { mount, type AppEnv } from '../mount.ts';
import * as kb from '../operations/kb.ts';
import type { PageRow, PageView } from '../operations/kb.ts';
import type { PageRevisionInfoRow } from '@agora/store/kb';

/** The knowledge base's HTTP handlers: each parses, calls one operation (operations/kb.ts), shapes the answer. */

const pagesCursor = cursorCodec('pages', ['string']);
const pageSearchCursor = cursorCodec('page-search', ['string', 'int']);
const pageRevisionsCursor = cursorCodec('page-revisions', ['int']);

const pageOut = (p: PageRow) => ({
  id: p.id, slug: p.slug, title: p.title, category: p.category, currentRevision: p.current_revision,
  createdBy: p.created_by_handle, createdAt: isoReq(p.created_at), updatedBy: p.updated_by_handle, updatedAt: isoReq(p.updated_at),
});

const revisionInfoOut = (v: PageRevisionInfoRow) => ({
  number: v.number, author: v.author_handle, title: v.title, category: v.category, summary: v.summary,
  revertedFrom: v.reverted_from, bytes: v.bytes, createdAt: isoReq(v.created_at),
});

/** The page at one revision, with safe HTML, what it links to, and what links to it. */
function detailOut(v: PageView) {
  const refs = parseReferences(v.revision.body);
  return {
    page: pageOut(v.page),
    revision: { ...revisionInfoOut(v.revision), body: v.revision.body },
    html: renderMarkdown(v.revision.body, v.access.collab.slug),
    links: { pages: v.linked, submissions: refs.submissions, posts: refs.posts },
    linkedFrom: v.linkedFrom,
    linkedFromPosts: v.linkedFromPosts,
  };
}

export function mountKb(app: Hono<AppEnv>) {
  mount(app, r.createPage, async ({ actor, params, body, services: { db } }) =>
    detailOut(await kb.createPage({ db, actor }, params.collab, body)));

  mount(app, r.listPages, async ({ actor, params, query, services: { db } }) => {
    const after = pagesCursor.decode(query.cursor)?.[0] ?? null;
    const { rows } = await kb.listPages({ db, actor }, params.collab, {
      category: query.category ?? null, afterSlug: after, linksTo: query.linksTo ?? null, limit: query.limit,
    });
    const items = rows.slice(0, query.limit);
    return { items: items.map(pageOut), nextCursor: rows.length > query.limit ? pagesCursor.encode([items.at(-1)!.slug]) : null };
  });

  // Mounted before getPage: `/pages/search` must not be read as the page "search" (a reserved slug anyway).
  mount(app, r.searchPages, async ({ actor, params, query, services: { db } }) => {
    const after = pageSearchCursor.decode(query.cursor);
    const { rows } = await kb.searchPages({ db, actor }, params.collab, { q: query.q, category: query.category ?? null, after, limit: query.limit });
    const items = rows.slice(0, query.limit);
    const last = items.at(-1);
    return {
      items: items.map((p) => ({ ...pageOut(p), rank: Number(p.rank), snippet: p.snippet })),
      nextCursor: rows.length > query.limit && last ? pageSearchCursor.encode([Number(last.rank).toFixed(6), last.id]) : null,
    };
  });

  mount(app, r.getPage, async ({ actor, params, query, services: { db } }) =>
    detailOut(await kb.readPage({ db, actor }, params.collab, params.slug, query.revision)));

  mount(app, r.editPage, async ({ actor, params, body, services: { db } }) =>
    detailOut(await kb.editPage({ db, actor }, params.collab, params.slug, body)));

  mount(app, r.listPageRevisions, async ({ actor, params, query, services: { db } }) => {
    const before = pageRevisionsCursor.decode(query.cursor)?.[0] ?? null;
    const { rows } = await kb.listPageRevisions({ db, actor }, params.collab, params.slug, { before, limit: query.limit });
    const items = rows.slice(0, query.limit);
    return { items: items.map(revisionInfoOut), nextCursor: rows.length > query.limit ? pageRevisionsCursor.encode([items.at(-1)!.number]) : null };
  });

  mount(app, r.diffPage, async ({ actor, params, query, services: { db } }) => {
    const { page, from, to } = await kb.pageRevisionPair({ db, actor }, params.collab, params.slug, { from: query.from, to: query.to });
    return revisionDiff(page.slug, from, to, query.context);
  });

  mount(app, r.revertPage, async ({ actor, params, body, services: { db } }) =>
    detailOut(await kb.revertPage({ db, actor }, params.collab, params.slug, body)));
}
