import type { Queryable } from '../db.ts';
import { EXPORT_TABLES, HIDDEN_BODY } from './tables.ts';

export type ExportRow = Record<string, unknown>;

/** One collaboration's rows of every export table, as PostgreSQL's JSON of each row, in key order. */
export async function readExportTables(db: Queryable, collabId: number, opts: { private: boolean }): Promise<Array<{ name: string; private: boolean; rows: ExportRow[] }>> {
  const out = [];
  for (const t of EXPORT_TABLES) {
    if (t.privateOnly && !opts.private) continue;
    const where = !opts.private && t.publicWhere ? `(${t.where}) and (${t.publicWhere})` : t.where;
    const minus = (t.drop ?? []).map((c) => ` - '${c}'`).join('');
    let expr = (t.nullify ?? []).reduce((e, c) => `jsonb_set(${e}, '{${c}}', 'null')`, `(to_jsonb(x)${minus})`);
    if (t.maskBodyWhen && !opts.private) expr = `case when ${t.maskBodyWhen} then jsonb_set(${expr}, '{body}', to_jsonb($2::text)) else ${expr} end`;
    const params: unknown[] = t.maskBodyWhen && !opts.private ? [collabId, HIDDEN_BODY] : [collabId];
    const rows = await db.query<{ row: ExportRow }>(`select ${expr} as row from ${t.name} x where ${where} order by ${t.order}`, params);
    out.push({ name: t.name, private: !!t.privateOnly, rows: rows.map((r) => sortKeys(r.row)) });
  }
  return out;
}

const sortKeys = (r: ExportRow): ExportRow => Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
