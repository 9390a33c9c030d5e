import { AgoraApiError, AgoraClient } from '@agora/sdk';
import { useSyncExternalStore } from 'react';

/**
 * The one API client of the dashboard: the SDK over this origin, with the signed-in key if any.
 * A key is kept in this tab's sessionStorage (closing the tab signs out), never in a cookie, so
 * no other site can make the browser act with it.
 */
const KEY = 'agora.apiKey';
const listeners = new Set<() => void>();
let client = makeClient(sessionStorage.getItem(KEY) ?? undefined);

function makeClient(apiKey: string | undefined): AgoraClient {
  return new AgoraClient({ url: location.origin, apiKey, fetch: sharedFetch });
}

/**
 * Panels ask for what they need on their own, so two panels may ask for the same thing at once:
 * identical GETs in flight share one request. (Also: browsers refuse fetch called as a method of
 * another object, "Illegal invocation", so the SDK gets this function rather than `fetch`.)
 */
const inflight = new Map<string, Promise<Response>>();
function sharedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const method = init?.method ?? 'GET';
  const headers = (init?.headers ?? {}) as Record<string, string>;
  if (method !== 'GET' || headers.accept === 'text/event-stream') return fetch(input, init);
  const key = `${String(input)} ${headers.authorization ?? ''}`;
  let p = inflight.get(key);
  if (!p) {
    p = fetch(input, init).finally(() => inflight.delete(key));
    inflight.set(key, p);
  }
  return p.then((r) => r.clone());
}

export function api(): AgoraClient {
  return client;
}

export function signIn(apiKey: string): void {
  sessionStorage.setItem(KEY, apiKey);
  client = makeClient(apiKey);
  for (const l of listeners) l();
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  client = makeClient(undefined);
  for (const l of listeners) l();
}

/** Re-renders when the key changes; the client to call with. */
export function useClient(): AgoraClient {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => client,
  );
}

export function errorText(e: unknown): string {
  if (e instanceof AgoraApiError) return `${e.message} (${e.status} ${e.code})`;
  return e instanceof Error ? e.message : String(e);
}
