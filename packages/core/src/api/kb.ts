import { z } from 'zod';
import { Slug } from '../schemas/challenge.ts';
import {
  CreatePageBody,
  DiffQuery,
  EditPageBody,
  PageCategory,
  PageDetail,
  PageDiff,
  PageQuery,
  PageRefFilter,
  PageRevisionInfo,
  PageSearchHit,
  PageSlug,
  PageSummaryOut,
  RevertPageBody,
} from '../schemas/kb.ts';
import { Cursor, Limit, Page, route } from './route.ts';

const CollabParams = z.object({ collab: Slug });
const PageParams = z.object({ collab: Slug, slug: PageSlug });

export const kbRoutes = {
  createPage: route({
    method: 'post', path: '/v1/collaborations/{collab}/pages', tag: 'knowledge base', auth: 'required', status: 201,
    summary: 'Participants: create a knowledge-base page (revision 1). `[[slug]]`, `#s123` and `#p45` in the body must name existing pages, submissions and posts (422 names the unknown ones).',
    params: CollabParams,
    body: CreatePageBody,
    response: PageDetail,
  }),
  listPages: route({
    method: 'get', path: '/v1/collaborations/{collab}/pages', tag: 'knowledge base', auth: 'optional',
    summary: 'Pages by slug, optionally of one category, or linking to a submission (#s12), a post (#p45) or a page ([[slug]]).',
    params: CollabParams,
    query: z.object({ category: PageCategory.optional(), linksTo: PageRefFilter.optional(), limit: Limit(200, 50), cursor: Cursor }),
    response: Page(PageSummaryOut),
  }),
  searchPages: route({
    method: 'get', path: '/v1/collaborations/{collab}/pages/search', tag: 'knowledge base', auth: 'optional',
    summary: 'Full-text search of the current revisions (web-search syntax: words, "phrases", -excluded, or), best match first.',
    params: CollabParams,
    query: z.object({ q: z.string().trim().min(1).max(500), category: PageCategory.optional(), limit: Limit(100, 20), cursor: Cursor }),
    response: Page(PageSearchHit),
  }),
  getPage: route({
    method: 'get', path: '/v1/collaborations/{collab}/pages/{slug}', tag: 'knowledge base', auth: 'optional',
    summary: 'A page at its current revision, or at ?revision=N: markdown as written, safe HTML, links and backlinks.',
    params: PageParams,
    query: PageQuery,
    response: PageDetail,
  }),
  editPage: route({
    method: 'patch', path: '/v1/collaborations/{collab}/pages/{slug}', tag: 'knowledge base', auth: 'required',
    summary: 'Participants: a new revision, made against baseRevision. If the page moved on, 409 edit_conflict with the current revision, its author and the diff from base to current.',
    params: PageParams,
    body: EditPageBody,
    response: PageDetail,
  }),
  listPageRevisions: route({
    method: 'get', path: '/v1/collaborations/{collab}/pages/{slug}/revisions', tag: 'knowledge base', auth: 'optional',
    summary: 'Every revision of a page with its author, newest first.',
    params: PageParams,
    query: z.object({ limit: Limit(200, 50), cursor: Cursor }),
    response: Page(PageRevisionInfo),
  }),
  diffPage: route({
    method: 'get', path: '/v1/collaborations/{collab}/pages/{slug}/diff', tag: 'knowledge base', auth: 'optional',
    summary: 'A line diff (unified hunks) between any two revisions of a page; by default the previous and the current.',
    params: PageParams,
    query: DiffQuery,
    response: PageDiff,
  }),
  revertPage: route({
    method: 'post', path: '/v1/collaborations/{collab}/pages/{slug}/revert', tag: 'knowledge base', auth: 'required', status: 201,
    summary: 'Participants: restore revision N as a new revision (made against baseRevision, as an edit).',
    params: PageParams,
    body: RevertPageBody,
    response: PageDetail,
  }),
};
