import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { BlobStore } from '../blobs/blob-store.ts';
import type { Db, Queryable } from '../db.ts';
import { hasAgoraSchema, loadMigrations, migrate } from '../migrate.ts';
import { BACKUP_FORMAT, BACKUP_VERSION, type BackupManifest } from './format.ts';
import { tableNames, writableColumns } from './schema.ts';

const BATCH = 1000;

export function readManifest(dir: string): BackupManifest {
  const file = join(dir, 'agora-backup.json');
  if (!existsSync(file)) throw new Error('not an Agora backup: agora-backup.json is missing');
  const m = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest;
  if (m.format !== BACKUP_FORMAT) throw new Error(`not an Agora backup (format ${JSON.stringify(m.format)})`);
  if (m.version !== BACKUP_VERSION) throw new Error(`backup format version ${m.version}; this Agora reads version ${BACKUP_VERSION}: restore it with a matching release`);
  return m;
}

async function loadTable(tx: Queryable, dir: string, table: string): Promise<number> {
  const { columns } = await writableColumns(tx, table);
  const cols = columns.map((c) => `"${c}"`).join(', ');
  // Ids as they were (identity columns included); generated columns are recomputed.
  const sql = `insert into "${table}" (${cols}) overriding system value select ${cols} from json_populate_recordset(null::"${table}", $1::json)`;
  let batch: string[] = [];
  let rows = 0;
  const flush = async () => {
    if (!batch.length) return;
    await tx.query(sql, [`[${batch.join(',')}]`]);
    rows += batch.length;
    batch = [];
  };
  for await (const line of createInterface({ input: createReadStream(join(dir, 'tables', `${table}.jsonl`)), crlfDelay: Infinity })) {
    if (!line) continue;
    batch.push(line);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  // Identity sequences continue after the restored ids.
  for (const c of (await writableColumns(tx, table)).identity)
    await tx.query(`select setval(pg_get_serial_sequence($1, $2), coalesce((select max("${c}") from "${table}"), 0) + 1, false)`, [`"${table}"`, c]);
  return rows;
}

/**
 * Restores an unpacked backup (`dir`, see format.ts) into an empty database and blob store: the
 * schema as it was when the backup was taken (its migrations), every row with its ids in one
 * transaction, every blob checked against its hash, then the migrations this release has beyond
 * the backup's. Refuses a database that already holds Agora's tables.
 */
export async function restoreBackup(dir: string, db: Db, blobs: BlobStore, log: (line: string) => void = () => {}): Promise<BackupManifest> {
  const m = readManifest(dir);
  if (await hasAgoraSchema(db)) throw new Error('the target database already holds Agora tables; restore into an empty data folder or database');
  const known = new Map(loadMigrations().map((x) => [x.version, x]));
  for (const x of m.migrations) {
    const local = known.get(x.version);
    if (!local || local.name !== x.name) throw new Error(`the backup's schema has migration ${x.name}, which this release does not know: restore with a release that has it`);
  }
  const wanted = new Set(m.migrations.map((x) => x.version));
  await migrate(db, loadMigrations().filter((x) => wanted.has(x.version)));

  await db.transaction(async (tx) => {
    const tables = await tableNames(tx);
    const inBackup = new Set(m.tables.map((t) => t.name));
    const missing = tables.filter((t) => !inBackup.has(t));
    const extra = m.tables.map((t) => t.name).filter((t) => !tables.includes(t));
    if (missing.length || extra.length) throw new Error(`the backup's tables do not match its schema (missing ${missing.join(', ') || 'none'}; unknown ${extra.join(', ') || 'none'})`);
    // What the migrations wrote (schema_migrations, seeded rows such as the verifier) comes back from the backup as it was.
    await tx.query(`truncate ${tables.map((t) => `"${t}"`).join(', ')}`);
    for (const t of tables) {
      const rows = await loadTable(tx, dir, t);
      const expected = m.tables.find((x) => x.name === t)!.rows;
      if (rows !== expected) throw new Error(`table ${t}: the backup holds ${rows} rows, its manifest says ${expected}`);
    }
    log(`restored ${tables.length} tables, ${m.tables.reduce((n, t) => n + t.rows, 0)} rows`);
  });

  const files = new Set(readdirSync(join(dir, 'blobs')));
  for (const b of m.blobs) {
    if (!files.has(b.sha256)) throw new Error(`blob ${b.sha256} is in the manifest but not in the backup`);
    await blobs.put(createReadStream(join(dir, 'blobs', b.sha256)), { expectSha256: b.sha256 });
  }
  log(`restored ${m.blobs.length} blobs`);
  const newer = await migrate(db);
  if (newer.length) log(`applied ${newer.length} migrations newer than the backup`);
  return m;
}
