import { z } from 'zod';
import { pageSlugProblem } from '../kb/slug.ts';
import { Label } from './identity.ts';

/** Page bodies are bounded in UTF-8 bytes, as stored, not in characters. */
export const PAGE_BODY_MAX_BYTES = 256 * 1024;
export const PAGE_TITLE_MAX = 200;
export const PAGE_SUMMARY_MAX = 500;

export const PAGE_CATEGORIES = ['playbook', 'lever-map', 'dead-ends', 'tools', 'other'] as const;
export const PageCategory = z.enum(PAGE_CATEGORIES);
export type PageCategory = z.infer<typeof PageCategory>;

export const PageSlug = z.string().superRefine((s, ctx) => {
  const problem = pageSlugProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

// C0 controls other than tab, newline and carriage return, and DEL; PostgreSQL cannot store NUL at all.
const BAD_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
// Bidirectional overrides and isolates let a title display as something other than what it says.
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
const encoder = new TextEncoder();

/** Markdown as written; rendered safely on read, never trusted as HTML. */
export const PageBody = z
  .string()
  .refine((s) => s.isWellFormed(), 'the body has a lone UTF-16 surrogate (not valid unicode)')
  .refine((s) => !BAD_CONTROL.test(s), 'control characters other than tab, newline and carriage return are not allowed')
  .refine((s) => s.length <= PAGE_BODY_MAX_BYTES && encoder.encode(s).length <= PAGE_BODY_MAX_BYTES, `the body is over ${PAGE_BODY_MAX_BYTES} bytes (UTF-8)`);

export const PageTitle = Label(PAGE_TITLE_MAX)
  .refine((s) => s.isWellFormed(), 'the title has a lone UTF-16 surrogate (not valid unicode)')
  .refine((s) => !BIDI_CONTROL.test(s), 'bidirectional override characters are not allowed in a title');

export const PageSummary = z
  .string()
  .trim()
  .max(PAGE_SUMMARY_MAX)
  .refine((s) => s.isWellFormed() && !/[\u0000-\u001f\u007f]/.test(s) && !BIDI_CONTROL.test(s), 'the summary has control characters or invalid unicode');

const RevisionNumber = z.number().int().min(1).max(2_147_483_647);
const RevisionQuery = z.coerce.number().int().min(1).max(2_147_483_647);

export const CreatePageBody = z.object({
  slug: PageSlug,
  title: PageTitle,
  category: PageCategory,
  body: PageBody,
  summary: PageSummary.default(''),
});

export const EditPageBody = z
  .object({
    /** The revision the edit was made against; anything else is an edit_conflict (409) with the diff to merge. */
    baseRevision: RevisionNumber,
    title: PageTitle.optional(),
    category: PageCategory.optional(),
    body: PageBody.optional(),
    summary: PageSummary.default(''),
  })
  .refine((b) => b.title !== undefined || b.category !== undefined || b.body !== undefined, 'nothing to change: give title, category or body');

export const RevertPageBody = z.object({
  /** The revision whose title, category and body are restored, as a new revision. */
  revision: RevisionNumber,
  baseRevision: RevisionNumber,
  summary: PageSummary.default(''),
});

export const PageQuery = z.object({ revision: RevisionQuery.optional() });

export const DiffQuery = z.object({
  /** Defaults to the revision before `to`. */
  from: RevisionQuery.optional(),
  /** Defaults to the current revision. */
  to: RevisionQuery.optional(),
  context: z.coerce.number().int().min(0).max(100).default(3),
});

/** `#s12` (a submission), `#p45` (a post), or `[[slug]]` / `slug` (a page): pages whose current revision links there. */
export const PageRefFilter = z
  .string()
  .max(67)
  .regex(/^(#s\d{1,10}|#p\d{1,10}|\[\[[a-z0-9]+(-[a-z0-9]+)*\]\]|[a-z0-9]+(-[a-z0-9]+)*)$/, 'linksTo is #s<submission id>, #p<post id> or a page slug');

export const PageSummaryOut = z.object({
  id: z.number().int(),
  slug: z.string(),
  title: z.string(),
  category: PageCategory,
  currentRevision: z.number().int(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedBy: z.string(),
  updatedAt: z.string(),
});
export type PageSummaryOut = z.infer<typeof PageSummaryOut>;

export const PageRevisionInfo = z.object({
  number: z.number().int(),
  author: z.string(),
  title: z.string(),
  category: PageCategory,
  summary: z.string(),
  revertedFrom: z.number().int().nullable(),
  bytes: z.number().int(),
  createdAt: z.string(),
});

export const PageRevision = PageRevisionInfo.extend({ body: z.string() });

export const PageLinks = z.object({
  pages: z.array(z.object({ slug: z.string(), title: z.string() })),
  submissions: z.array(z.number().int()),
  posts: z.array(z.number().int()),
});

export const PageDetail = z.object({
  page: PageSummaryOut,
  /** The revision asked for (the current one by default), body as written. */
  revision: PageRevision,
  /** The revision's body rendered to HTML with everything unsafe removed; null when no safe renderer is available. */
  html: z.string().nullable(),
  /** What the revision links to. */
  links: PageLinks,
  /** Pages whose current revision links to this page (at most 200). */
  linkedFrom: z.array(z.object({ slug: z.string(), title: z.string() })),
  /** Visible board posts that link to this page, newest first (at most 200). */
  linkedFromPosts: z.array(z.number().int()),
});

export const DiffHunk = z.object({
  oldStart: z.number().int(),
  oldLines: z.number().int(),
  newStart: z.number().int(),
  newLines: z.number().int(),
  lines: z.array(z.string()),
});

export const PageDiff = z.object({
  slug: z.string(),
  from: z.number().int(),
  to: z.number().int(),
  title: z.object({ from: z.string(), to: z.string() }).nullable(),
  category: z.object({ from: PageCategory, to: PageCategory }).nullable(),
  added: z.number().int(),
  removed: z.number().int(),
  /** False when the revisions differ so much that a coarser (still correct) diff was produced. */
  minimal: z.boolean(),
  hunks: z.array(DiffHunk),
  /** The same diff as `diff -u` text ('' when the bodies are equal). */
  unified: z.string(),
});

export const PageSearchHit = PageSummaryOut.extend({
  rank: z.number(),
  /** A short excerpt of the body with the matches between ** markers. */
  snippet: z.string(),
});
