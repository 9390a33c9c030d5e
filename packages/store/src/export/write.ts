import type { Db } from '../db.ts';
import { EXPORT_TABLES } from './tables.ts';
import type { ExportRow } from './read.ts';

/**
 * Writes an export's tables into a database that does not hold them yet (a fresh one, or one
 * without this collaboration and its participants), in one transaction, ids kept: the rows are
 * parsed back by PostgreSQL itself (jsonb_populate_recordset), then every identity sequence moves
 * past the largest id. Refuses tables it does not know.
 */
export async function writeExportTables(db: Db, tables: Array<{ name: string; rows: ExportRow[] }>): Promise<void> {
  const known = new Map(EXPORT_TABLES.map((t, i) => [t.name, i]));
  const unknown = tables.filter((t) => !known.has(t.name)).map((t) => t.name);
  if (unknown.length) throw new Error(`unknown tables in the export: ${unknown.join(', ')}`);
  const ordered = [...tables].sort((a, b) => known.get(a.name)! - known.get(b.name)!);
  await db.transaction(async (tx) => {
    for (const t of ordered) {
      if (!t.rows.length) continue;
      const cols = Object.keys(t.rows[0]!).filter((c) => /^[a-z_][a-z0-9_]*$/.test(c)).map((c) => `"${c}"`).join(', ');
      const identity = await tx.query<{ n: number }>(
        `select count(*)::int as n from information_schema.columns where table_schema = current_schema() and table_name = $1 and is_identity = 'YES'`, [t.name]);
      await tx.query(
        `insert into ${t.name} (${cols}) ${identity[0]!.n ? 'overriding system value' : ''} select ${cols} from jsonb_populate_recordset(null::${t.name}, $1::jsonb)`,
        [JSON.stringify(t.rows)]);
      if (identity[0]!.n) {
        await tx.query(`select setval(pg_get_serial_sequence('${t.name}', 'id'), (select max(id) from ${t.name}))`);
      }
    }
  });
}
