import { AgoraError, normalisePageBody, parseReferences, revisionDiff, type PageCategory } from '@agora/core';
import { appendEvent, type Queryable } from '@agora/store';
import * as store from '@agora/store/kb';
import { pagesBySlug, replaceEdges } from '@agora/store/references';
import { access, accessAs, isoReq, type CollabAccess } from '../collab.ts';
import type { OperationCtx } from './board.ts';
import { resolveReferences } from './references.ts';
import { checkWriteRate } from './write-rate.ts';

/**
 * The knowledge base's operations: pages with every revision kept. Writes lock the page row and
 * compare its current revision with the caller's baseRevision, so of two edits made against the
 * same revision exactly one wins and the other gets edit_conflict with the diff to merge.
 */
export type { PageRevisionRow, PageRow } from '@agora/store/kb';
type PageRow = store.PageRow;
type PageRevisionRow = store.PageRevisionRow;

export interface PageView {
  access: CollabAccess;
  page: PageRow;
  revision: PageRevisionRow;
  /** Pages the revision links to, those that link to the page, and posts that do. */
  linked: Array<{ slug: string; title: string }>;
  linkedFrom: Array<{ slug: string; title: string }>;
  linkedFromPosts: number[];
}

async function findPage(q: Queryable, collabId: number, slug: string, opts: { lock?: boolean } = {}): Promise<PageRow> {
  if (opts.lock) await store.lockPage(q, collabId, slug);
  const page = await store.findPage(q, collabId, slug);
  if (!page) throw new AgoraError('not_found', `page "${slug}" not found`, { slug });
  return page;
}

export async function findRevision(q: Queryable, page: PageRow, n: number): Promise<PageRevisionRow> {
  const rev = await store.findPageRevision(q, page.id, n);
  if (!rev) throw new AgoraError('not_found', `page "${page.slug}" has no revision ${n}; its current revision is ${page.current_revision}`, { slug: page.slug, revision: n, currentRevision: page.current_revision });
  return rev;
}

/**
 * Links from the body: `[[slug]]`, `#s123` and `#p45` must exist in this collaboration (else 422
 * naming every unknown one). Call after the page row exists (or is locked): a page may link to itself.
 */
async function writePageEdges(tx: Queryable, collabId: number, pageId: number, body: string): Promise<void> {
  const { resolved, unknown } = await resolveReferences(tx, collabId, parseReferences(body), { mentions: false });
  if (unknown) {
    const names = [...unknown.pages.map((s) => `[[${s}]]`), ...unknown.submissions.map((n) => `#s${n}`), ...unknown.posts.map((n) => `#p${n}`)];
    throw new AgoraError('unprocessable', `unknown references: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ` and ${names.length - 20} more` : ''}; link only to pages, submissions and posts that exist in this collaboration`, { unknown });
  }
  await replaceEdges(tx, 'page', pageId, resolved.edges);
}

/** Appends revision current+1 to a locked page and makes it current, with its edges. */
async function writeRevision(tx: Queryable, page: PageRow, authorId: number, next: store.PageContent): Promise<number> {
  const number = page.current_revision + 1;
  await store.insertPageRevision(tx, page.id, number, authorId, next);
  if (!(await store.advancePage(tx, page.id, page.current_revision, number, authorId, next)))
    throw new AgoraError('conflict', 'a concurrent change got there first; try again');
  await writePageEdges(tx, page.collaboration_id, page.id, next.body);
  return number;
}

/** Refuses a write whose base is not the current revision; the details carry what a merge needs. */
async function checkBase(tx: Queryable, page: PageRow, base: number): Promise<PageRevisionRow> {
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
      diff: revisionDiff(page.slug, baseRev, current),
    },
  );
}

const sameContent = (a: { title: string; category: string; body: string }, b: typeof a) =>
  a.title === b.title && a.category === b.category && a.body === b.body;

async function view(q: Queryable, a: CollabAccess, page: PageRow, revision: PageRevisionRow): Promise<PageView> {
  const refs = parseReferences(revision.body);
  return {
    access: a,
    page,
    revision,
    linked: (await pagesBySlug(q, page.collaboration_id, refs.pages)).map((p) => ({ slug: p.slug, title: p.title })),
    linkedFrom: await store.pagesLinkingTo(q, page.id),
    linkedFromPosts: await store.postsLinkingToPage(q, page.collaboration_id, page.slug),
  };
}

export async function createPage(
  { db, actor }: OperationCtx,
  slug: string,
  input: { slug: string; title: string; category: PageCategory; body: string; summary: string },
): Promise<PageView> {
  const a = await accessAs(db, slug, actor, 'participant');
  const body = normalisePageBody(input.body);
  const page = await db.transaction(async (tx) => {
    await checkWriteRate(tx, 'page', { participantId: a.actor.participantId, collabId: a.collab.id, role: a.role });
    const id = await store.insertPage(tx, { collaborationId: a.collab.id, slug: input.slug, title: input.title, category: input.category, authorId: a.actor.participantId, body });
    if (id === null) throw new AgoraError('conflict', `a page "${input.slug}" exists already: edit it with its current revision as baseRevision`, { slug: input.slug });
    await store.insertPageRevision(tx, id, 1, a.actor.participantId, { ...input, body });
    await writePageEdges(tx, a.collab.id, id, body);
    await appendEvent(tx, {
      collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'page.created', subject: `[[${input.slug}]]`,
      payload: { slug: input.slug, title: input.title, category: input.category, revision: 1, summary: input.summary },
    });
    return findPage(tx, a.collab.id, input.slug);
  });
  return view(db, a, page, await findRevision(db, page, 1));
}

/** `linksTo` is `#s12`, `#p34` or a page slug (with or without `[[ ]]`). */
export async function listPages(
  { db, actor }: OperationCtx,
  slug: string,
  f: { category: string | null; afterSlug: string | null; linksTo: string | null; limit: number },
): Promise<{ access: CollabAccess; rows: PageRow[] }> {
  const a = await access(db, slug, actor);
  let linksTo: { kind: string; target: string } | null = null;
  if (f.linksTo) {
    const m = /^#([sp])(\d+)$/.exec(f.linksTo);
    linksTo = m ? { kind: m[1] === 's' ? 'submission' : 'post', target: String(Number(m[2])) } : { kind: 'page', target: f.linksTo.replace(/^\[\[|\]\]$/g, '') };
  }
  return { access: a, rows: await store.listPages(db, a.collab.id, { category: f.category, afterSlug: f.afterSlug, linksTo, limit: f.limit + 1 }) };
}

export async function searchPages(
  { db, actor }: OperationCtx,
  slug: string,
  f: { q: string; category: string | null; after: [string, number] | null; limit: number },
): Promise<{ access: CollabAccess; rows: Array<PageRow & { rank: number; snippet: string }> }> {
  const a = await access(db, slug, actor);
  if (f.after && !/^\d{1,3}(\.\d{1,6})?$/.test(f.after[0])) throw new AgoraError('validation_failed', 'invalid cursor: pass back the nextCursor of the previous page unchanged');
  return { access: a, rows: await store.searchPages(db, a.collab.id, { ...f, limit: f.limit + 1 }) };
}

export async function readPage({ db, actor }: OperationCtx, slug: string, pageSlug: string, revision: number | undefined): Promise<PageView> {
  const a = await access(db, slug, actor);
  const page = await findPage(db, a.collab.id, pageSlug);
  return view(db, a, page, await findRevision(db, page, revision ?? page.current_revision));
}

export async function editPage(
  { db, actor }: OperationCtx,
  slug: string,
  pageSlug: string,
  edit: { baseRevision: number; title?: string; category?: PageCategory; body?: string; summary: string },
): Promise<PageView> {
  const a = await accessAs(db, slug, actor, 'participant');
  const page = await db.transaction(async (tx) => {
    await checkWriteRate(tx, 'page', { participantId: a.actor.participantId, collabId: a.collab.id, role: a.role });
    const locked = await findPage(tx, a.collab.id, pageSlug, { lock: true });
    const current = await checkBase(tx, locked, edit.baseRevision);
    const next = { title: edit.title ?? current.title, category: edit.category ?? current.category, body: edit.body !== undefined ? normalisePageBody(edit.body) : current.body };
    if (sameContent(next, current)) {
      throw new AgoraError('unprocessable', `the edit changes nothing: revision ${locked.current_revision} already has this title, category and body`, { currentRevision: locked.current_revision });
    }
    const number = await writeRevision(tx, locked, a.actor.participantId, { ...next, summary: edit.summary });
    await appendEvent(tx, {
      collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'page.edited', subject: `[[${locked.slug}]]`,
      payload: { slug: locked.slug, title: next.title, category: next.category, revision: number, baseRevision: edit.baseRevision, summary: edit.summary },
    });
    return findPage(tx, a.collab.id, pageSlug);
  });
  return view(db, a, page, await findRevision(db, page, page.current_revision));
}

export async function revertPage(
  { db, actor }: OperationCtx,
  slug: string,
  pageSlug: string,
  input: { baseRevision: number; revision: number; summary?: string },
): Promise<PageView> {
  const a = await accessAs(db, slug, actor, 'participant');
  const page = await db.transaction(async (tx) => {
    await checkWriteRate(tx, 'page', { participantId: a.actor.participantId, collabId: a.collab.id, role: a.role });
    const locked = await findPage(tx, a.collab.id, pageSlug, { lock: true });
    const current = await checkBase(tx, locked, input.baseRevision);
    const target = await findRevision(tx, locked, input.revision);
    if (sameContent(target, current)) {
      throw new AgoraError('unprocessable', `revision ${locked.current_revision} already has the content of revision ${input.revision}: nothing to revert`, { revision: input.revision, currentRevision: locked.current_revision });
    }
    const summary = input.summary || `revert to revision ${input.revision}`;
    const number = await writeRevision(tx, locked, a.actor.participantId, {
      title: target.title, category: target.category, body: target.body, summary, revertedFrom: input.revision,
    });
    await appendEvent(tx, {
      collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'page.reverted', subject: `[[${locked.slug}]]`,
      payload: { slug: locked.slug, title: target.title, category: target.category, revision: number, revertedFrom: input.revision, baseRevision: input.baseRevision, summary },
    });
    return findPage(tx, a.collab.id, pageSlug);
  });
  return view(db, a, page, await findRevision(db, page, page.current_revision));
}

export async function listPageRevisions(
  { db, actor }: OperationCtx,
  slug: string,
  pageSlug: string,
  f: { before: number | null; limit: number },
): Promise<{ access: CollabAccess; rows: store.PageRevisionInfoRow[] }> {
  const a = await access(db, slug, actor);
  const page = await findPage(db, a.collab.id, pageSlug);
  return { access: a, rows: await store.listPageRevisions(db, page.id, f.before, f.limit + 1) };
}

/** Two revisions of a page: `to` defaults to the current one, `from` to the one before `to`. */
export async function pageRevisionPair(
  { db, actor }: OperationCtx,
  slug: string,
  pageSlug: string,
  f: { from?: number; to?: number },
): Promise<{ page: PageRow; from: PageRevisionRow; to: PageRevisionRow }> {
  const a = await access(db, slug, actor);
  const page = await findPage(db, a.collab.id, pageSlug);
  const to = f.to ?? page.current_revision;
  const from = f.from ?? Math.max(1, to - 1);
  return { page, from: await findRevision(db, page, from), to: await findRevision(db, page, to) };
}
