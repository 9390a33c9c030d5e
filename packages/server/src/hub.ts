import { EVENTS_CHANNEL, type Db } from '@agora/store';
import { EventFanout } from './fanout.ts';

/**
 * Wakes readers when an event commits. The notification carries no data: the event stream's
 * fan-out (fanout.ts) reads the new events once for all observers, job log readers re-read their
 * log, so a missed or coalesced NOTIFY can delay but never lose anything.
 */
export class EventHub {
  /** Set by start(): the live event stream's single reader. */
  fanout!: EventFanout;
  private version = 0;
  private waiters = new Set<() => void>();
  private stopListening: (() => Promise<void>) | null = null;
  private streams = new Set<AbortController>();

  /** Live streams register here so that dropStreams can end them (tests of reconnection, shutdown). */
  openStream(): AbortController {
    const ctrl = new AbortController();
    this.streams.add(ctrl);
    ctrl.signal.addEventListener('abort', () => this.streams.delete(ctrl));
    return ctrl;
  }

  /** Ends every live stream; clients resume with Last-Event-ID. */
  dropStreams(): void {
    for (const ctrl of [...this.streams]) ctrl.abort();
  }

  async start(db: Db): Promise<void> {
    this.fanout = new EventFanout(db);
    await this.fanout.start();
    this.stopListening = await db.listen(EVENTS_CHANNEL, () => this.bump());
  }

  bump(): void {
    void this.fanout?.poll();
    this.version++;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  get current(): number {
    return this.version;
  }

  /** Resolves at the next event after `seen` (at once if one came already), or after timeoutMs. */
  wait(seen: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.version !== seen || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
      signal?.addEventListener('abort', done);
    });
  }

  async stop(): Promise<void> {
    this.fanout?.stop();
    this.dropStreams();
    await this.stopListening?.();
    this.bump();
  }
}
