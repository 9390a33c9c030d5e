import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { clampTimers } from './timer-clamp.ts';

/**
 * One SQL dialect (PostgreSQL), two engines: PGlite in-process for the embedded default, a
 * PostgreSQL server when a URL is given. Everything above this file sees only `Db`.
 */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements, no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs fn in one transaction: everything it writes commits together or not at all. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Calls onNotify for each NOTIFY on channel; returns a function that stops listening. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

export async function openPglite(dataDir?: string): Promise<Db> {
  clampTimers(); // PostgreSQL's timeouts inside PGlite must survive wall-clock jumps (timer-clamp.ts)
  const lite = await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    parsers: { [INT8_OID]: Number, [NUMERIC_OID]: Number },
  });
  return {
    engine: 'pglite',
    async query<T>(sql: string, params?: unknown[]) {
      return (await lite.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      await lite.exec(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      return lite.transaction(async (tx) =>
        fn({
          query: async <R>(sql: string, params?: unknown[]) => (await tx.query<R>(sql, params)).rows,
          exec: async (sql: string) => void (await tx.exec(sql)),
        }),
      );
    },
    async listen(channel, onNotify) {
      const unsubscribe = await lite.listen(channel, onNotify);
      return async () => unsubscribe();
    },
    async close() {
      await lite.close();
    },
  };
}

export async function openPostgres(url: string, opts: { max?: number } = {}): Promise<Db> {
  const types = {
    getTypeParser: (oid: number, format?: string) =>
      oid === INT8_OID || oid === NUMERIC_OID
        ? (v: string) => Number(v)
        : pg.types.getTypeParser(oid, format as 'text'),
  };
  const pool = new pg.Pool({ connectionString: url, max: opts.max ?? 10, types });
  const listeners: pg.Client[] = [];
  // Fail at open, not at the first request, when the server is unreachable.
  await pool.query('select 1');
  return {
    engine: 'postgres',
    async query<T>(sql: string, params?: unknown[]) {
      return (await pool.query(sql, params)).rows as T[];
    },
    async exec(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(fn: (tx: Queryable) => Promise<T>) {
      const client = await pool.connect();
      try {
        await client.query('begin');
        const result = await fn({
          query: async <R>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as R[],
          exec: async (sql: string) => void (await client.query(sql)),
        });
        await client.query('commit');
        return result;
      } catch (err) {
        await client.query('rollback').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async listen(channel, onNotify) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      listeners.push(client);
      client.on('notification', (msg) => {
        if (msg.channel === channel) onNotify(msg.payload ?? '');
      });
      await client.query(`listen ${pg.escapeIdentifier(channel)}`);
      return async () => {
        listeners.splice(listeners.indexOf(client), 1);
        await client.end().catch(() => {});
      };
    },
    async close() {
      await Promise.all(listeners.splice(0).map((c) => c.end().catch(() => {})));
      await pool.end();
    },
  };
}

/** `AGORA_DATABASE_URL=postgres://...` selects the server; anything else is a PGlite data directory. */
export async function openDb(target: string | undefined): Promise<Db> {
  if (target && /^postgres(ql)?:\/\//.test(target)) return openPostgres(target);
  return openPglite(target);
}
