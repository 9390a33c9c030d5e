import type { Queryable } from '../db.ts';
import type { PageContent, PageRevisionInfoRow, PageRevisionRow, PageRow } from './rows.ts';

const PAGE_COLUMNS = `p.id, p.collaboration_id, p.slug, p.title, p.category, p.current_revision, p.created_at, p.updated_at,
  cb.handle as created_by_handle, ub.handle as updated_by_handle`;
const PAGE_JOINS = 'join participants cb on cb.id = p.created_by join participants ub on ub.id = p.updated_by';
const REVISION_COLUMNS = `r.number, r.title, r.category, r.summary, r.reverted_from, r.created_at,
  octet_length(r.body) as bytes, a.handle as author_handle`;

export async function findPage(db: Queryable, collaborationId: number, slug: string): Promise<PageRow | null> {
  const [page] = await db.query<PageRow>(`select ${PAGE_COLUMNS} from pages p ${PAGE_JOINS} where p.collaboration_id = $1 and p.slug = $2`, [collaborationId, slug]);
  return page ?? null;
}

/**
 * Concurrent writers to one page queue on this row lock. It is taken without joins: after the
 * wait, PostgreSQL re-checks a locked row against the other rows it was joined with, and the
 * participant who was the last editor no longer matches the new updated_by: the page would vanish.
 */
export async function lockPage(tx: Queryable, collaborationId: number, slug: string): Promise<void> {
  await tx.query('select id from pages where collaboration_id = $1 and slug = $2 for update', [collaborationId, slug]);
}

/** The new page's id, or null when the slug is taken. */
export async function insertPage(
  tx: Queryable,
  p: { collaborationId: number; slug: string; title: string; category: string; authorId: number; body: string },
): Promise<number | null> {
  const [row] = await tx.query<{ id: number }>(
    `insert into pages (collaboration_id, slug, title, category, current_revision, created_by, updated_by, search)
     values ($1, $2, $3, $4, 1, $5, $5, kb_page_search($2, $3, $6))
     on conflict (collaboration_id, slug) do nothing returning id`,
    [p.collaborationId, p.slug, p.title, p.category, p.authorId, p.body],
  );
  return row?.id ?? null;
}

export async function insertPageRevision(tx: Queryable, pageId: number, number: number, authorId: number, c: PageContent): Promise<void> {
  await tx.query(
    `insert into page_revisions (page_id, number, author_id, title, body, category, summary, reverted_from)
     values ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [pageId, number, authorId, c.title, c.body, c.category, c.summary, c.revertedFrom ?? null],
  );
}

/**
 * Makes revision `number` current; false when the page is no longer at `from` (a second guard
 * behind the row lock: it can only fail if the row was not locked).
 */
export async function advancePage(
  tx: Queryable,
  pageId: number,
  from: number,
  number: number,
  authorId: number,
  c: Pick<PageContent, 'title' | 'category' | 'body'>,
): Promise<boolean> {
  const updated = await tx.query(
    `update pages set current_revision = $2, title = $3, category = $4, updated_by = $5, updated_at = now(),
       search = kb_page_search(slug, $3, $6)
     where id = $1 and current_revision = $7 returning id`,
    [pageId, number, c.title, c.category, authorId, c.body, from],
  );
  return updated.length > 0;
}

export async function findPageRevision(db: Queryable, pageId: number, number: number): Promise<PageRevisionRow | null> {
  const [rev] = await db.query<PageRevisionRow>(
    `select ${REVISION_COLUMNS}, r.body from page_revisions r join participants a on a.id = r.author_id
     where r.page_id = $1 and r.number = $2`,
    [pageId, number],
  );
  return rev ?? null;
}

export async function listPageRevisions(db: Queryable, pageId: number, before: number | null, limit: number): Promise<PageRevisionInfoRow[]> {
  return db.query<PageRevisionInfoRow>(
    `select ${REVISION_COLUMNS} from page_revisions r join participants a on a.id = r.author_id
     where r.page_id = $1 and ($2::int is null or r.number < $2) order by r.number desc limit $3`,
    [pageId, before, limit],
  );
}

/** Pages by slug after `afterSlug`, optionally of one category or linking to one target (an edge). */
export async function listPages(
  db: Queryable,
  collaborationId: number,
  f: { category: string | null; afterSlug: string | null; linksTo: { kind: string; target: string } | null; limit: number },
): Promise<PageRow[]> {
  return db.query<PageRow>(
    `select ${PAGE_COLUMNS} from pages p ${PAGE_JOINS}
     where p.collaboration_id = $1 and ($2::text is null or p.category = $2) and ($3::text is null or p.slug > $3)
       and ($4::text is null or exists (select 1 from page_edges e where e.page_id = p.id and e.kind = $4 and e.target = $5))
     order by p.slug limit $6`,
    [collaborationId, f.category, f.afterSlug, f.linksTo?.kind ?? null, f.linksTo?.target ?? null, f.limit],
  );
}

/**
 * Full-text search, best first, with a snippet. Ranks are rounded to a numeric (carried as text in
 * the caller's cursor) so the (rank, id) keyset compares exactly.
 */
export async function searchPages(
  db: Queryable,
  collaborationId: number,
  f: { q: string; category: string | null; after: [string, number] | null; limit: number },
): Promise<Array<PageRow & { rank: number; snippet: string }>> {
  return db.query<PageRow & { rank: number; snippet: string }>(
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
    [collaborationId, f.q, f.category, f.after?.[0] ?? null, f.after?.[1] ?? null, f.limit],
  );
}

/** Other pages whose current revision links to this one (at most 200). */
export async function pagesLinkingTo(db: Queryable, pageId: number): Promise<Array<{ slug: string; title: string }>> {
  return db.query<{ slug: string; title: string }>(
    `select p.slug, p.title from page_edges e join pages p on p.id = e.page_id
     where e.kind = 'page' and e.target_id = $1 and e.page_id <> $1 order by p.slug limit 200`,
    [pageId],
  );
}

/** Visible posts whose current revision links to the page, newest first (at most 200). */
export async function postsLinkingToPage(db: Queryable, collaborationId: number, slug: string): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    `select e.post_id as id from post_edges e join posts p on p.id = e.post_id
     where e.kind = 'page' and e.target = $2 and p.collaboration_id = $1 and p.hidden_at is null order by e.post_id desc limit 200`,
    [collaborationId, slug],
  );
  return rows.map((x) => x.id);
}
