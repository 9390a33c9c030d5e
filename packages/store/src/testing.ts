import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPglite, openPostgres, type Db, type Queryable } from './db.ts';
import { migrate, migrationsDigest } from './migrate.ts';

/**
 * A migrated, empty database for one test, on the engine named by AGORA_TEST_ENGINE
 * (`pglite`, the default, or `postgres`). Both clone a template built once per schema version,
 * because initdb plus migrations costs seconds and a clone costs milliseconds.
 */
export interface TestDb {
  db: Db;
  engine: 'pglite' | 'postgres';
  dispose(): Promise<void>;
}

export const testEngine = (): 'pglite' | 'postgres' =>
  process.env.AGORA_TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite';

export const testPostgresUrl = () => process.env.AGORA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function openTestDb(): Promise<TestDb> {
  return testEngine() === 'postgres' ? openPostgresTestDb() : openPgliteTestDb();
}

/** The migrated PGlite template folder, built once per schema version. */
async function pgliteTemplate(): Promise<string> {
  const template = join(tmpdir(), `agora-pglite-template-${migrationsDigest()}`);
  if (!existsSync(join(template, 'PG_VERSION'))) {
    // Build aside and rename, so parallel test files never see a half-built template.
    const building = `${template}.building-${process.pid}-${randomBytes(4).toString('hex')}`;
    const db = await openPglite(building);
    await migrate(db);
    await db.close();
    try {
      renameSync(building, template);
    } catch {
      rmSync(building, { recursive: true, force: true }); // another process won the race
    }
  }
  return template;
}

async function openPgliteTestDb(): Promise<TestDb> {
  const target = await testDatabaseTarget();
  const db = await openPglite(target.target);
  return {
    db,
    engine: 'pglite',
    async dispose() {
      await db.close();
      await target.dispose();
    },
  };
}

/**
 * A migrated, empty database that this process does not open, for a server started as a child
 * process (crash tests): a PGlite folder or a postgres:// URL, on the engine of openTestDb.
 * `empty`: not even migrated (a restore's target).
 */
export async function testDatabaseTarget(o: { empty?: boolean } = {}): Promise<{ target: string; dispose(): Promise<void> }> {
  if (testEngine() === 'postgres') {
    const url = await createPostgresTestDatabase(o.empty ? 'template0' : undefined);
    const name = new URL(url).pathname.slice(1);
    return { target: url, dispose: () => adminQuery(`drop database if exists ${name} with (force)`) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'agora-pglite-test-'));
  // Empty: a folder PGlite has not seen (it runs initdb on first open).
  if (!o.empty) cpSync(await pgliteTemplate(), dir, { recursive: true });
  return { target: o.empty ? join(dir, 'db') : dir, dispose: async () => rmSync(dir, { recursive: true, force: true }) };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: testPostgresUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A new database cloned from the migrated template (built once per schema version), or from `from`; its URL. */
async function createPostgresTestDatabase(from?: string): Promise<string> {
  const base = testPostgresUrl();
  const template = `agora_tpl_${migrationsDigest()}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    // One builder at a time across parallel test processes.
    await admin.query('select pg_advisory_lock(4242003)');
    const exists = await admin.query('select 1 from pg_database where datname = $1', [template]);
    if (!exists.rowCount) {
      const building = `${template}_b`;
      await admin.query(`drop database if exists ${building}`);
      await admin.query(`create database ${building}`);
      const db = await openPostgres(withDatabase(base, building), { max: 1 });
      await migrate(db);
      await db.close();
      await admin.query(`alter database ${building} rename to ${template}`);
    }
    const name = `agora_test_${process.pid}_${randomBytes(4).toString('hex')}`;
    await admin.query(`create database ${name} template ${from ?? template}`);
    await admin.query('select pg_advisory_unlock(4242003)');
    return withDatabase(base, name);
  } finally {
    await admin.end();
  }
}

async function openPostgresTestDb(): Promise<TestDb> {
  const url = await createPostgresTestDatabase();
  const db = await openPostgres(url);
  return {
    db,
    engine: 'postgres',
    async dispose() {
      await db.close();
      await adminQuery(`drop database if exists ${new URL(url).pathname.slice(1)}`);
    },
  };
}

/** A scratch directory removed at dispose; for tests that need files (artifacts, bundles). */
export function tempDir(prefix = 'agora-test-'): { path: string; dispose(): void } {
  mkdirSync(tmpdir(), { recursive: true });
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, dispose: () => rmSync(path, { recursive: true, force: true }) };
}

/** Tests only: how many results a job has (exactly-once checks). */
export async function countJobResults(db: Queryable, jobId: number): Promise<number> {
  return (await db.query<{ n: number }>('select count(*)::int as n from results where job_id = $1', [jobId]))[0]!.n;
}

/** Tests only, time travel: the job's lease runs out now. */
export async function expireJobLease(db: Queryable, jobId: number): Promise<void> {
  await db.query(`update jobs set lease_expires_at = now() - interval '1 second' where id = $1`, [jobId]);
}

/** Tests only, what a jump of the database's clock looks like to a running job: its lease and start moved by `seconds`. */
export async function moveRunningJobClock(db: Queryable, jobId: number, seconds: number): Promise<void> {
  await db.query(`update jobs set lease_expires_at = lease_expires_at + make_interval(secs => $2::int), started_at = started_at + make_interval(secs => $2::int) where id = $1`, [jobId, seconds]);
}
