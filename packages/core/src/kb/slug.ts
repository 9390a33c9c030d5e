/**
 * Knowledge-base page slugs: the name a page is linked by (`[[lever-map]]`) and its URL segment.
 * Lowercase ASCII letters and digits in dash-separated words, at most 63 characters; a few
 * words are reserved because they name sub-routes of `/pages/`.
 */
/** What `[[slug]]` in parseReferences (board/references.ts) accepts. */
export const PAGE_SLUG_MAX = 63;
export const PAGE_SLUG_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const RESERVED_PAGE_SLUGS: ReadonlySet<string> = new Set(['search', 'new', 'edit', 'revisions', 'diff', 'revert']);

/** Null when the slug is acceptable, otherwise why not. */
export function pageSlugProblem(slug: string): string | null {
  if (slug.length === 0) return 'a page slug cannot be empty';
  if (slug.length > PAGE_SLUG_MAX) return `a page slug has at most ${PAGE_SLUG_MAX} characters`;
  if (!PAGE_SLUG_RE.test(slug)) return 'a page slug is lowercase ASCII letters and digits in words joined by single dashes (e.g. "int4-lm-head")';
  if (RESERVED_PAGE_SLUGS.has(slug)) return `"${slug}" is reserved; choose another slug`;
  return null;
}

/**
 * A slug suggested from a title: accents dropped (NFKD), everything else that is not a letter or
 * digit becomes a dash. Null when nothing usable is left (a title in a non-Latin script, say).
 */
export function slugify(title: string): string | null {
  const base = title
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  let slug = base.slice(0, PAGE_SLUG_MAX).replace(/-+$/, '');
  if (RESERVED_PAGE_SLUGS.has(slug)) slug = `${slug}-page`;
  return slug && !pageSlugProblem(slug) ? slug : null;
}
