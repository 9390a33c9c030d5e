import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Db, Queryable } from './db.ts';
import { analyzeTables } from './maintenance.ts';

const migrationsDir = fileURLToPath(new URL('../migrations/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered plain SQL files, `0001_core.sql`, applied in order, each in its own transaction. */
export function loadMigrations(dir = migrationsDir): Migration[] {
  const migrations = readdirSync(dir)
    .filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ version: Number(f.slice(0, 4)), name: f.replace(/\.sql$/, ''), sql: readFileSync(dir + f, 'utf8') }));
  // Two files with one number would both claim one schema_migrations row: the second would never run.
  const seen = new Map<number, string>();
  for (const m of migrations) {
    const other = seen.get(m.version);
    if (other) throw new Error(`migrations ${other} and ${m.name} share the number ${m.version}: renumber one`);
    seen.set(m.version, m.name);
  }
  return migrations;
}

/** A digest of every migration: test templates are rebuilt when it changes. */
export function migrationsDigest(migrations = loadMigrations()): string {
  const h = createHash('sha256');
  for (const m of migrations) h.update(m.name).update('\0').update(m.sql).update('\0');
  return h.digest('hex').slice(0, 16);
}

export async function migrate(db: Db, migrations = loadMigrations()): Promise<number[]> {
  await db.query(`create table if not exists schema_migrations (
    version int primary key, name text not null, applied_at timestamptz not null default now())`);
  const applied = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      // Serialises concurrent starters: the second waits, then sees the row and skips.
      await tx.query('select pg_advisory_xact_lock(4242001)');
      const seen = await tx.query('select 1 from schema_migrations where version = $1', [m.version]);
      if (seen.length) return false;
      await tx.exec(m.sql);
      await tx.query('insert into schema_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  // A migration may fill or index tables; PGlite has no autovacuum to notice.
  if (applied.length) await analyzeTables(db);
  return applied;
}

/** Whether this database holds Agora's tables (a server started on it once). */
export async function hasAgoraSchema(db: Queryable): Promise<boolean> {
  const [row] = await db.query<{ n: number }>(`select count(*)::int as n from information_schema.tables where table_name = 'participants'`);
  return (row?.n ?? 0) > 0;
}
