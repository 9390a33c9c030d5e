import type { ReactNode } from 'react';
import { ago, when } from '../format.ts';
import { Link } from '../router.tsx';

export function Time({ at }: { at: string }) {
  return (
    <time dateTime={at} title={when(at)}>
      {ago(at)}
    </time>
  );
}

const BADGE_TEXT: Record<string, string> = {
  verified: 'verified',
  diverged: 'diverged',
  'guardrail-failed': 'guardrail failed',
  invalid: 'invalid',
  withdrawn: 'withdrawn',
  duplicate: 'duplicate',
};

export function Badge({ kind }: { kind: string }) {
  return <span className={`badge badge-${kind}`}>{BADGE_TEXT[kind] ?? kind}</span>;
}

export function Tag({ name, to }: { name: string; to?: string }) {
  return to ? (
    <Link className="tag" to={to}>
      {name}
    </Link>
  ) : (
    <span className="tag">{name}</span>
  );
}

/** A panel that shows its own loading and error state: no view waits for every request. */
export function Panel({ title, loading, error, children, actions, id }: { title?: ReactNode; loading?: boolean; error?: string | null; children?: ReactNode; actions?: ReactNode; id?: string }) {
  return (
    <section className="panel" aria-busy={loading || undefined} id={id}>
      {(title || actions) && (
        <header className="panel-head">
          {title && <h2>{title}</h2>}
          {actions}
        </header>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {loading && !children && <p className="muted">Loading…</p>}
      {children}
    </section>
  );
}

export function More({ next, loading, onMore }: { next: string | null; loading: boolean; onMore: () => void }) {
  if (!next) return null;
  return (
    <button type="button" className="more" onClick={onMore} disabled={loading}>
      {loading ? 'Loading…' : 'More'}
    </button>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted empty">{children}</p>;
}
