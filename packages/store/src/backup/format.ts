/**
 * An Agora backup (decision 0161): a tar.gz holding
 *   agora-backup.json       this manifest
 *   tables/<table>.jsonl    every row of each table, one JSON object a line (PostgreSQL's row_to_json)
 *   blobs/<sha256>          every blob the database refers to (bundles, their files, artifacts)
 * The same on both engines: a PGlite backup restores into PostgreSQL and back.
 */
export const BACKUP_FORMAT = 'agora-backup';
export const BACKUP_VERSION = 1;

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  /** The engine it was taken from (informative: restores go to either). */
  engine: 'pglite' | 'postgres';
  /** The schema the rows are in: the migrations applied when it was taken. */
  migrations: Array<{ version: number; name: string }>;
  tables: Array<{ name: string; rows: number }>;
  blobs: Array<{ sha256: string; size: number }>;
}

export const ARCHIVE_ENTRIES = ['agora-backup.json', 'tables', 'blobs'];
