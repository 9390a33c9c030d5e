import type { Queryable } from './db.ts';

/**
 * Refreshes the planner's statistics for every table. PostgreSQL's autovacuum does this on its own;
 * PGlite has no autovacuum, so an embedded server calls it after migrating and then periodically
 * (server/src/maintenance.ts), or its plans would be made for empty tables forever.
 */
export async function analyzeTables(db: Queryable): Promise<void> {
  await db.exec('analyze');
}
