import type { AgoraEvent } from '@agora/core';
import type { AgoraClient } from '@agora/sdk';
import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useClient } from './api.ts';

/**
 * One live connection per open collaboration: the newest events first (the activity feed), then
 * the SDK's event stream after them (typed and checked against core's event union, resumed with
 * Last-Event-ID after a drop). Views subscribe to the event types they show and refetch.
 */
export type LiveStatus = 'connecting' | 'live' | 'offline';

class LiveFeed {
  recent: AgoraEvent[] = [];
  status: LiveStatus = 'connecting';
  /** Bumped on every change, for useSyncExternalStore. */
  version = 0;
  private readonly listeners = new Set<() => void>();
  private readonly handlers = new Set<(e: AgoraEvent) => void>();
  private readonly stop = new AbortController();

  constructor(client: AgoraClient, collab: string) {
    void this.run(client, collab);
  }

  private async run(client: AgoraClient, collab: string) {
    let after = 0;
    try {
      const tail = await client.call('listEvents', { params: { collab }, query: { tail: 'true', limit: 50 } });
      this.recent = tail.items.slice().reverse();
      after = tail.lastId;
      this.set('live');
      // The SDK yields each event once, in order, and reconnects on its own after a drop.
      for await (const e of client.events(collab, { after, signal: this.stop.signal, reconnectMs: 2000 })) {
        this.recent = [e, ...this.recent].slice(0, 200);
        if (this.status !== 'live') this.status = 'live';
        for (const h of this.handlers) h(e);
        this.set(this.status);
      }
    } catch {
      if (!this.stop.signal.aborted) this.set('offline');
    }
  }

  private set(status: LiveStatus) {
    this.status = status;
    this.version++;
    for (const l of this.listeners) l();
  }

  subscribe = (l: () => void) => {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  };

  onEvent(h: (e: AgoraEvent) => void): () => void {
    this.handlers.add(h);
    return () => void this.handlers.delete(h);
  }

  close() {
    this.stop.abort();
  }
}

const LiveContext = createContext<LiveFeed | null>(null);

export function LiveProvider({ collab, children }: { collab: string; children: ReactNode }) {
  const client = useClient();
  const [feed, setFeed] = useState<LiveFeed | null>(null);
  useEffect(() => {
    const f = new LiveFeed(client, collab);
    setFeed(f);
    return () => f.close();
  }, [client, collab]);
  return <LiveContext.Provider value={feed}>{children}</LiveContext.Provider>;
}

/** The recent events and the connection's state, re-rendered as events arrive. */
export function useLiveFeed(): { recent: AgoraEvent[]; status: LiveStatus } {
  const feed = useContext(LiveContext);
  useSyncExternalStore(feed?.subscribe ?? noopSubscribe, () => feed?.version ?? 0);
  return { recent: feed?.recent ?? [], status: feed?.status ?? 'connecting' };
}
const noopSubscribe = () => () => {};

/**
 * A counter that goes up (at most every `debounceMs`) when an event whose type starts with one of
 * `prefixes` arrives: put it in a query's dependencies to refetch live.
 */
export function useLiveTick(prefixes: readonly string[], debounceMs = 400): number {
  const feed = useContext(LiveContext);
  const [tick, setTick] = useState(0);
  const key = prefixes.join(',');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => {
    if (!feed || !prefixes.length) return;
    const off = feed.onEvent((e) => {
      if (!prefixes.some((p) => e.type.startsWith(p))) return;
      if (timer.current) return;
      timer.current = setTimeout(() => {
        timer.current = null;
        setTick((t) => t + 1);
      }, debounceMs);
    });
    return () => {
      off();
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [feed, key, debounceMs]);
  return tick;
}

/** Calls `handler` for each live event (for views that patch their state instead of refetching). */
export function useLiveEvent(handler: (e: AgoraEvent) => void): void {
  const feed = useContext(LiveContext);
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => feed?.onEvent((e) => ref.current(e)), [feed]);
}
