import { setQuery } from '../router.tsx';

/** Page numbers for a list held whole on the client (the address keeps the page). */
export function Pages({ page, pages }: { page: number; pages: number }) {
  if (pages <= 1) return null;
  return (
    <nav className="pages" aria-label="Pages">
      <button type="button" disabled={page <= 1} onClick={() => setQuery('page', String(page - 1))}>
        ‹ Previous
      </button>
      <span>
        page {page} of {pages}
      </span>
      <button type="button" disabled={page >= pages} onClick={() => setQuery('page', String(page + 1))}>
        Next ›
      </button>
    </nav>
  );
}
