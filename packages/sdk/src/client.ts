import { AgoraEvent, JobState, LogLine, routes, type AgoraEventOf, type EventType, type Infer, type InferIn, type RouteDef, type Routes } from '@agora/core';

/** An error the server answered with: status plus the typed body {code, message, details}. */
export class AgoraApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details: unknown) {
    super(message);
    this.name = 'AgoraApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

type Input<R extends RouteDef> = {
  params?: InferIn<R['params']>;
  query?: InferIn<R['query']>;
  body?: InferIn<R['body']>;
};

export interface ClientOptions {
  url: string;
  apiKey?: string | undefined;
  fetch?: typeof fetch;
}

/** A typed client over the route table in @agora/core; every CLI and MCP verb goes through it. */
export class AgoraClient {
  readonly url: string;
  readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
    this.apiKey = opts.apiKey;
    this.fetchImpl = opts.fetch ?? fetch;
  }

  withKey(apiKey: string | undefined): AgoraClient {
    return new AgoraClient({ url: this.url, apiKey, fetch: this.fetchImpl });
  }

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}), ...extra };
  }

  path<N extends keyof Routes>(name: N, params: Record<string, unknown> = {}, query: Record<string, unknown> = {}): string {
    const def = routes[name] as RouteDef;
    const path = def.path.replace(/\{(\w+)\}/g, (_, k: string) => {
      const v = params[k];
      if (v === undefined) throw new Error(`${String(name)}: missing path parameter ${k}`);
      return encodeURIComponent(String(v));
    });
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null) qs.set(k, String(v));
    const q = qs.toString();
    return `${this.url}${path}${q ? `?${q}` : ''}`;
  }

  async call<N extends keyof Routes>(name: N, input: Input<Routes[N]> = {}): Promise<Infer<Routes[N]['response']>> {
    const def = routes[name] as RouteDef;
    const hasBody = def.body !== undefined && def.method !== 'get';
    const res = await this.fetchImpl(this.path(name, input.params as Record<string, unknown>, input.query as Record<string, unknown>), {
      method: def.method.toUpperCase(),
      headers: this.headers(hasBody ? { 'content-type': 'application/json' } : {}),
      ...(hasBody ? { body: JSON.stringify(input.body ?? {}) } : {}),
    });
    return readResponse(res) as Promise<Infer<Routes[N]['response']>>;
  }

  /** Raw request for uploads and downloads that are not JSON. */
  async raw(path: string, init: RequestInit = {}): Promise<Response> {
    return this.fetchImpl(`${this.url}${path}`, { ...init, headers: this.headers((init.headers as Record<string, string>) ?? {}) });
  }

  /**
   * The live event stream as an async iterator, resuming after `after`: reconnects with
   * Last-Event-ID after a dropped connection until the signal aborts or the loop breaks. Each
   * event is delivered once, in id order, checked against the event union (`types` narrows both
   * the stream and the type of what it yields).
   */
  async *events<T extends EventType = EventType>(
    collab: string,
    opts: { after?: number; types?: readonly T[]; signal?: AbortSignal; reconnectMs?: number } = {},
  ): AsyncGenerator<AgoraEventOf<T>, void, undefined> {
    let last = opts.after ?? 0;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    opts.signal?.addEventListener('abort', onAbort);
    const wanted = opts.types?.length ? new Set<string>(opts.types) : null;
    const qs = wanted ? `?types=${encodeURIComponent([...wanted].join(','))}` : '';
    try {
      while (!stop.signal.aborted) {
        try {
          const res = await this.fetchImpl(`${this.url}/v1/collaborations/${encodeURIComponent(collab)}/events/stream${qs}`, {
            headers: this.headers({ accept: 'text/event-stream', 'last-event-id': String(last) }),
            signal: stop.signal,
          });
          if (!res.ok) await readResponse(res);
          for await (const msg of parseSse(res.body!)) {
            if (!msg.id) continue;
            const e = parseEvent(msg.data);
            if (e.id <= last) continue;
            last = e.id;
            if (!wanted || wanted.has(e.type)) yield e as AgoraEventOf<T>;
          }
        } catch (err) {
          if (stop.signal.aborted) break;
          if (err instanceof AgoraApiError && err.status < 500) throw err;
        }
        if (!stop.signal.aborted) await new Promise((r) => setTimeout(r, opts.reconnectMs ?? 1000));
      }
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
      stop.abort();
    }
  }

  /**
   * A job's log live, to its end: each line once, in order (`log`), then `end` with the job's final
   * state. Reconnects with Last-Event-ID after a dropped connection, so nothing is lost or repeated.
   */
  async *jobLog(collab: string, id: number, opts: { after?: number; signal?: AbortSignal; reconnectMs?: number } = {}): AsyncGenerator<JobLogItem, void, undefined> {
    let last = opts.after ?? 0;
    for (;;) {
      if (opts.signal?.aborted) return;
      try {
        const res = await this.fetchImpl(`${this.url}/v1/collaborations/${encodeURIComponent(collab)}/jobs/${id}/logs/stream`, {
          headers: this.headers({ accept: 'text/event-stream', 'last-event-id': String(last) }),
          ...(opts.signal ? { signal: opts.signal } : {}),
        });
        if (!res.ok) await readResponse(res);
        for await (const msg of parseSse(res.body!)) {
          if (msg.event === 'end') {
            yield { type: 'end', state: JobState.parse((JSON.parse(msg.data) as { state?: unknown }).state) };
            return;
          }
          if (msg.event !== 'log' || !msg.id) continue;
          const line = LogLine.parse(JSON.parse(msg.data));
          if (line.seq <= last) continue;
          last = line.seq;
          yield { type: 'log', line };
        }
      } catch (err) {
        if (opts.signal?.aborted) return;
        if (err instanceof AgoraApiError && err.status < 500) throw err;
      }
      await new Promise((r) => setTimeout(r, opts.reconnectMs ?? 1000));
    }
  }

  /** `events()` with a callback; resolves with the last event id seen once the signal aborts. */
  async followEvents(
    collab: string,
    opts: { after?: number; signal?: AbortSignal; onEvent: (e: AgoraEvent) => void | Promise<void>; reconnectMs?: number },
  ): Promise<number> {
    let last = opts.after ?? 0;
    for await (const e of this.events(collab, opts)) {
      last = e.id;
      await opts.onEvent(e);
    }
    return last;
  }
}

export type JobLogItem = { type: 'log'; line: LogLine } | { type: 'end'; state: JobState };

/** An event off the stream, checked against the union: a malformed one is an error, not a silent pass. */
function parseEvent(data: string): AgoraEvent {
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    throw new AgoraApiError(502, 'invalid_event', `the event stream sent malformed JSON: ${data.slice(0, 200)}`, null);
  }
  const parsed = AgoraEvent.safeParse(json);
  if (parsed.success) return parsed.data;
  const i = parsed.error.issues[0]!;
  throw new AgoraApiError(422, 'invalid_event', `the event stream sent an event that is not in the union: ${i.path.join('.')}: ${i.message}`, { issues: parsed.error.issues });
}

export async function readResponse(res: Response): Promise<unknown> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    if (!res.ok) throw new AgoraApiError(res.status, 'http_error', `${res.status} ${res.statusText}: ${text.slice(0, 200)}`, null);
    return text;
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string; details?: unknown } } | null)?.error;
    throw new AgoraApiError(res.status, e?.code ?? 'http_error', e?.message ?? `${res.status} ${res.statusText}`, e?.details ?? null);
  }
  return body;
}

export interface SseMessage {
  id: string | null;
  event: string | null;
  data: string;
}

/** A minimal text/event-stream parser (the WHATWG rules for id, event, data and comments). */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const decoder = new TextDecoder();
  let buffer = '';
  let msg: SseMessage = { id: null, event: null, data: '' };
  let hasData = false;
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.search(/\r\n|\n|\r/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
      if (line === '') {
        if (hasData) yield msg;
        msg = { id: null, event: null, data: '' };
        hasData = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') msg.id = value;
      else if (field === 'event') msg.event = value;
      else if (field === 'data') {
        msg.data = hasData ? `${msg.data}\n${value}` : value;
        hasData = true;
      }
    }
  }
}
