import { analyzeTables, type Db } from '@agora/store';

/** How often the embedded engine's statistics are refreshed (PGlite has no autovacuum). */
export const ANALYZE_INTERVAL_MS = 15 * 60_000;

/**
 * On PGlite: ANALYZE once at start (after migrations) and then every intervalMs, so query plans
 * follow the data as it grows. On PostgreSQL autovacuum does this; nothing runs. Returns a stop function.
 */
export async function startMaintenance(db: Db, opts: { intervalMs?: number } = {}): Promise<() => Promise<void>> {
  if (db.engine !== 'pglite') return async () => {};
  await analyzeTables(db);
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    running ??= analyzeTables(db)
      .catch((err: unknown) => console.error('agora: analyze failed:', err))
      .finally(() => (running = null));
  }, opts.intervalMs ?? ANALYZE_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
