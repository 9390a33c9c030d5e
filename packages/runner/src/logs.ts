// Log lines of a job, sent in batches while it runs (at most 500 lines and 64 KB a call, the
// protocol's bounds) and kept in a local file (`log.jsonl`) that the offline flow uploads later.

import { appendFileSync } from 'node:fs';
import { MAX_LOG_BYTES_PER_CALL, MAX_LOG_BYTES_PER_JOB, MAX_LOG_LINES_PER_CALL } from '@agora/core';

export type LogStreamName = 'harness' | 'stdout' | 'stderr' | 'runner';
export interface LogLineOut {
  stream: LogStreamName;
  text: string;
}

export interface LogSinkOptions {
  /** Posts one batch; throws on failure (the batch is kept and sent again). */
  send?: ((lines: LogLineOut[]) => Promise<void>) | undefined;
  /** Appends every line as JSON here too. */
  file?: string | undefined;
  flushMs?: number;
  /** Lines beyond this many bytes per job are dropped, after one marker line. */
  maxBytes?: number;
}

/** Lines held while sends fail (about 8 KB each at most). */
const MAX_PENDING = 20_000;

const bytes = (l: LogLineOut) => Buffer.byteLength(l.text, 'utf8') + 16;

/** Splits lines into batches within the per-call bounds. */
export function batches(lines: LogLineOut[]): LogLineOut[][] {
  const out: LogLineOut[][] = [];
  let cur: LogLineOut[] = [];
  let size = 0;
  for (const l of lines) {
    const b = bytes(l);
    if (cur.length && (cur.length >= MAX_LOG_LINES_PER_CALL || size + b > MAX_LOG_BYTES_PER_CALL - 1024)) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(l);
    size += b;
  }
  if (cur.length) out.push(cur);
  return out;
}

export class LogSink {
  private pending: LogLineOut[] = [];
  private total = 0;
  private truncated = false;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private readonly maxBytes: number;
  private readonly o: LogSinkOptions;

  constructor(o: LogSinkOptions) {
    this.o = o;
    this.maxBytes = o.maxBytes ?? MAX_LOG_BYTES_PER_JOB;
    if (o.send) {
      this.timer = setInterval(() => void this.flush(), o.flushMs ?? 500);
      this.timer.unref();
    }
  }

  line(stream: LogStreamName, text: string): void {
    if (this.truncated) return;
    const l = { stream, text };
    this.total += bytes(l);
    if (this.total > this.maxBytes) {
      this.truncated = true;
      this.add({ stream: 'runner', text: `[runner] log truncated: more than ${this.maxBytes} bytes of output` });
      return;
    }
    this.add(l);
  }

  private add(l: LogLineOut): void {
    if (this.o.file) {
      try {
        appendFileSync(this.o.file, JSON.stringify(l) + '\n');
      } catch {}
    }
    if (this.o.send) {
      this.pending.push(l);
      // The server unreachable for long: keep the newest lines, say how many were dropped.
      if (this.pending.length > MAX_PENDING) {
        const dropped = this.pending.length - MAX_PENDING / 2;
        this.pending.splice(0, dropped, { stream: 'runner', text: `[runner] ${dropped} log lines dropped: the server was unreachable` });
      }
    }
    if (this.pending.length >= MAX_LOG_LINES_PER_CALL) void this.flush();
  }

  /** Sends what is pending (one flush at a time; lines stay queued when a send fails). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const send = this.o.send;
      while (send && this.pending.length) {
        const batch = batches(this.pending)[0]!;
        try {
          await send(batch);
        } catch {
          return;
        }
        this.pending.splice(0, batch.length);
      }
    });
    return this.flushing;
  }

  /** Last flush, then stop the timer. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }
}
