import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { BlobStore } from '../blobs/blob-store.ts';
import { referencedBlobs } from '../consistency.ts';
import type { Db, Queryable } from '../db.ts';
import { BACKUP_FORMAT, BACKUP_VERSION, type BackupManifest } from './format.ts';
import { orderColumn, tableNames } from './schema.ts';

const PAGE = 2000;

/** Writes one table's rows, one JSON object a line, in primary-key order where there is one (ctid order else). */
async function exportTable(tx: Queryable, table: string, file: string): Promise<number> {
  const out = createWriteStream(file, { mode: 0o600 });
  const key = await orderColumn(tx, table);
  const t = `"${table}"`;
  let after: string | null = null;
  let rows = 0;
  for (;;) {
    // Keyset pages: the snapshot is fixed, so a page boundary never skips or repeats a row.
    const page: Array<{ k: string; j: string }> = key
      ? await tx.query(`select "${key.name}"::text as k, row_to_json(t)::text as j from ${t} t
          where $1::text is null or "${key.name}" > ($1::text)::${key.type} order by "${key.name}" limit ${PAGE}`, [after])
      : await tx.query(`select ctid::text as k, row_to_json(t)::text as j from ${t} t
          where $1::text is null or ctid > ($1::text)::tid order by ctid limit ${PAGE}`, [after]);
    for (const r of page) if (!out.write(`${r.j}\n`)) await once(out, 'drain');
    rows += page.length;
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.k;
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

/**
 * A consistent snapshot into `dir` (decision 0161): every table of the schema read in one
 * repeatable-read, read-only transaction (one snapshot: what it shows committed together), then
 * every blob that snapshot refers to. Blobs are written before the rows that name them commit and
 * are never changed, so each one the snapshot names is in the store. Returns the manifest written
 * as `agora-backup.json`.
 */
export async function exportBackup(db: Db, blobs: BlobStore, dir: string): Promise<BackupManifest> {
  mkdirSync(join(dir, 'tables'), { recursive: true });
  mkdirSync(join(dir, 'blobs'), { recursive: true });
  const snapshot = await db.transaction(async (tx) => {
    await tx.query('set transaction isolation level repeatable read, read only');
    const migrations = await tx.query<{ version: number; name: string }>('select version, name from schema_migrations order by version');
    const tables: BackupManifest['tables'] = [];
    for (const name of await tableNames(tx)) tables.push({ name, rows: await exportTable(tx, name, join(dir, 'tables', `${name}.jsonl`)) });
    return { migrations, tables, blobs: await referencedBlobs(tx) };
  });
  const blobList: BackupManifest['blobs'] = [];
  for (const sha256 of snapshot.blobs) {
    const info = await blobs.stat(sha256);
    if (!info) throw new Error(`blob ${sha256} is referenced by the database but missing from the store; the backup would be incomplete`);
    await pipeline(Readable.fromWeb((await blobs.get(sha256)) as never), createWriteStream(join(dir, 'blobs', sha256), { mode: 0o600 }));
    blobList.push({ sha256, size: info.size });
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: new Date().toISOString(), engine: db.engine,
    migrations: snapshot.migrations, tables: snapshot.tables, blobs: blobList,
  };
  writeFileSync(join(dir, 'agora-backup.json'), `${JSON.stringify(manifest, null, 1)}\n`, { mode: 0o600 });
  return manifest;
}
