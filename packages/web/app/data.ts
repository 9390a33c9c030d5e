import { useEffect, useRef, useState } from 'react';
import { errorText } from './api.ts';

export interface Query<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
}

/**
 * One request's state for a view: each panel asks for its own data, so a slow answer delays only
 * the panel that waits for it. Keeps the last data while refetching (live updates do not flash).
 */
export function useQuery<T>(fn: () => Promise<T>, deps: readonly unknown[]): Query<T> {
  const [state, setState] = useState<{ data: T | undefined; error: string | null; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [nonce, setNonce] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fnRef.current().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (e: unknown) => live && setState((s) => ({ data: s.data, error: errorText(e), loading: false })),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, nonce]);
  return { ...state, reload: () => setNonce((n) => n + 1) };
}

/** Follows `nextCursor` pages: a list with a "more" button rather than one huge request. */
export function usePaged<T>(fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; nextCursor: string | null }>, deps: readonly unknown[]) {
  const [pages, setPages] = useState<{ items: T[]; next: string | null; error: string | null; loading: boolean }>({ items: [], next: null, error: null, loading: true });
  const ref = useRef(fetchPage);
  ref.current = fetchPage;
  const gen = useRef(0);
  const load = (cursor: string | undefined, append: boolean) => {
    const g = ++gen.current;
    setPages((p) => ({ ...p, loading: true }));
    ref.current(cursor).then(
      (page) => g === gen.current && setPages((p) => ({ items: append ? [...p.items, ...page.items] : page.items, next: page.nextCursor, error: null, loading: false })),
      (e: unknown) => g === gen.current && setPages((p) => ({ ...p, error: errorText(e), loading: false })),
    );
  };
  useEffect(() => {
    load(undefined, false);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return { ...pages, more: () => pages.next && load(pages.next, true), reload: () => load(undefined, false) };
}
