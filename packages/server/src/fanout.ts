import { AgoraEvent, isPrivateJobOutcomeEvent, type EventType } from '@agora/core';
import { eventsSince, latestEventId, type Db, type EventRow } from '@agora/store';

/** One event, read once and formatted once as a server-sent-events frame, shared by every observer. */
export interface Frame {
  id: number;
  type: EventType;
  text: string;
  /** A private job's move after it started: organizers only, as it happens (decision 0087). */
  privateOutcome: boolean;
}

/**
 * An observer's place in the fan-out: a bounded queue of frames not yet written. A writer never
 * waits for it; when the queue is full the observer is marked overflowed and its stream ends, and
 * the client resumes from its last event id (Last-Event-ID), read from the log.
 */
export class Observer {
  queue: Frame[] = [];
  overflowed = false;
  private wake: (() => void) | null = null;
  readonly collaborationId: number;
  readonly types: ReadonlySet<string> | null;
  readonly limit: number;
  constructor(collaborationId: number, types: ReadonlySet<string> | null, limit: number) {
    this.collaborationId = collaborationId;
    this.types = types;
    this.limit = limit;
  }

  offer(frame: Frame): void {
    if (this.overflowed) return;
    if (this.types && !this.types.has(frame.type)) return;
    if (this.queue.length >= this.limit) {
      this.overflowed = true;
      this.queue = [];
    } else this.queue.push(frame);
    this.wake?.();
  }

  /** Waits until frames are queued (or overflow, abort, timeout) and takes them all. */
  async take(timeoutMs: number, signal: AbortSignal): Promise<Frame[]> {
    if (!this.queue.length && !this.overflowed && !signal.aborted) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.wake = null;
          resolve();
        };
        const timer = setTimeout(done, timeoutMs);
        signal.addEventListener('abort', done);
        this.wake = done;
      });
    }
    const frames = this.queue;
    this.queue = [];
    return frames;
  }

  /** Forgets what was queued (the caller reads the log instead) and accepts frames again. */
  reset(): void {
    this.queue = [];
    this.overflowed = false;
  }
}

/**
 * The frame of one event, checked against the union. appendEvent checked it on the way in; a row
 * written some other way is sent as stored rather than lost (an observer must see every id).
 */
export function frameOf(row: EventRow): Frame {
  const raw = { id: row.id, type: row.type, actor: row.actor_handle, subject: row.subject, payload: row.payload, createdAt: row.created_at.toISOString() };
  const parsed = AgoraEvent.safeParse(raw);
  const e = parsed.success ? parsed.data : raw;
  return { id: e.id, type: e.type, text: `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`, privateOutcome: isPrivateJobOutcomeEvent(row.type, row.payload) };
}

const READ_BATCH = 500;
/** A missed notification (a dropped LISTEN connection) delays delivery by at most this much. */
const SAFETY_POLL_MS = 5_000;

/**
 * The live stream's single reader: on each commit notification it reads the new events once, in
 * id order (ids become visible in commit order, decision 0003), and offers each to the observers
 * of its collaboration. Work per event is one query however many observers there are.
 */
export class EventFanout {
  private observers = new Map<number, Set<Observer>>();
  private lastId = 0;
  private reading: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly db: Db;
  /** Frames an observer may have queued, unwritten, before it is dropped (it resumes by id). */
  queueLimit = 2_000;
  constructor(db: Db) {
    this.db = db;
  }

  async start(): Promise<void> {
    this.lastId = await latestEventId(this.db);
    this.timer = setInterval(() => {
      if (this.observers.size) this.poll();
    }, SAFETY_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The id the fan-out has read up to: an observer that caught up past it lost nothing. */
  get head(): number {
    return this.lastId;
  }

  observe(collaborationId: number, types: readonly string[] | undefined): Observer {
    const o = new Observer(collaborationId, types?.length ? new Set(types) : null, this.queueLimit);
    let set = this.observers.get(collaborationId);
    if (!set) this.observers.set(collaborationId, (set = new Set()));
    set.add(o);
    return o;
  }

  forget(o: Observer): void {
    const set = this.observers.get(o.collaborationId);
    set?.delete(o);
    if (set && !set.size) this.observers.delete(o.collaborationId);
  }

  get observerCount(): number {
    let n = 0;
    for (const set of this.observers.values()) n += set.size;
    return n;
  }

  /** Reads what committed since the last read; coalesces calls that come while a read runs. */
  poll(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.readAll().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async readAll(): Promise<void> {
    do {
      this.again = false;
      for (;;) {
        let rows: EventRow[];
        try {
          rows = await eventsSince(this.db, this.lastId, READ_BATCH);
        } catch {
          return; // the next notification or the safety poll reads again from the same id
        }
        for (const row of rows) {
          this.lastId = row.id;
          const set = row.collaboration_id === null ? undefined : this.observers.get(row.collaboration_id);
          if (!set?.size) continue;
          const frame = frameOf(row);
          for (const o of set) o.offer(frame);
        }
        if (rows.length < READ_BATCH) break;
      }
    } while (this.again);
  }
}
