import type { Queryable } from '../db.ts';

/**
 * The schema's tables in an order that a restore can insert them in: every table after the tables
 * its foreign keys point at (self-references are satisfied by primary-key order within the table).
 */
export async function tableNames(db: Queryable): Promise<string[]> {
  const tables = (await db.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'public' order by tablename`)).map((r) => r.name);
  const deps = await db.query<{ child: string; parent: string }>(
    `select c.conrelid::regclass::text as child, c.confrelid::regclass::text as parent from pg_constraint c
     join pg_namespace n on n.oid = c.connamespace where c.contype = 'f' and n.nspname = 'public' and c.conrelid <> c.confrelid`,
  );
  const unquote = (s: string) => s.replace(/^"(.*)"$/, '$1');
  const parents = new Map(tables.map((t) => [t, new Set<string>()]));
  for (const d of deps) parents.get(unquote(d.child))?.add(unquote(d.parent));
  const ordered: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (t: string, path: string[]) => {
    if (state.get(t) === 'done') return;
    if (state.get(t) === 'visiting') throw new Error(`foreign keys form a cycle (${[...path, t].join(' -> ')}); a restore could not order them`);
    state.set(t, 'visiting');
    for (const p of [...(parents.get(t) ?? [])].sort()) visit(p, [...path, t]);
    state.set(t, 'done');
    ordered.push(t);
  };
  for (const t of tables) visit(t, []);
  return ordered;
}

/** The table's single primary-key column and its type (rows are exported and restored in its order), or null. */
export async function orderColumn(db: Queryable, table: string): Promise<{ name: string; type: string } | null> {
  const cols = await db.query<{ name: string; type: string }>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type from pg_index i
     join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
     where i.indrelid = $1::regclass and i.indisprimary`,
    [`"${table}"`],
  );
  return cols.length === 1 ? cols[0]! : null;
}

/** Columns a restore writes: all but generated ones (recomputed from the others). */
export async function writableColumns(db: Queryable, table: string): Promise<{ columns: string[]; identity: string[] }> {
  const rows = await db.query<{ name: string; identity: string; generated: string }>(
    `select attname as name, attidentity::text as identity, attgenerated::text as generated from pg_attribute
     where attrelid = $1::regclass and attnum > 0 and not attisdropped order by attnum`,
    [`"${table}"`],
  );
  return { columns: rows.filter((r) => r.generated === '').map((r) => r.name), identity: rows.filter((r) => r.identity !== '').map((r) => r.name) };
}
