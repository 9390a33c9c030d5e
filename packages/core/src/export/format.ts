import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * The export format (docs/export.md): a manifest plus one table per record type, each written as
 * JSON Lines (one row a line, PostgreSQL's JSON of the row) and as CSV (RFC 4180; arrays and
 * objects as JSON text, null as an empty field). The version changes when a table's shape does.
 */
export const EXPORT_FORMAT = 'agora-export';
export const EXPORT_VERSION = 1;

export const ExportRow = z.record(z.string(), z.unknown());
export type ExportRow = z.infer<typeof ExportRow>;

export const ExportTable = z.object({
  name: z.string(),
  /** Rows only an organizer's private export carries (flags). */
  private: z.boolean(),
  columns: z.array(z.string()),
  rows: z.array(ExportRow),
});
export type ExportTable = z.infer<typeof ExportTable>;

export const ExportManifest = z.object({
  format: z.literal(EXPORT_FORMAT),
  version: z.number().int(),
  collaboration: z.string(),
  exportedAt: z.string(),
  /** true: private data included (organizers, asked explicitly): flags, private-split jobs and results, hidden posts' text. */
  private: z.boolean(),
  /** true: handles and owners replaced consistently; such an export does not import as the original. */
  pseudonymised: z.boolean(),
  tables: z.array(z.object({ name: z.string(), rows: z.number().int(), private: z.boolean() })),
});
export type ExportManifest = z.infer<typeof ExportManifest>;

export const CollaborationExport = z.object({ manifest: ExportManifest, tables: z.array(ExportTable) });
export type CollaborationExport = z.infer<typeof CollaborationExport>;

/** One CSV field: quoted when it holds a comma, quote, CR or LF; JSON text for arrays and objects. */
function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function toCsv(columns: readonly string[], rows: readonly ExportRow[]): string {
  return [columns.map(csvField).join(','), ...rows.map((r) => columns.map((c) => csvField(r[c])).join(','))].join('\r\n') + '\r\n';
}

export const toJsonLines = (rows: readonly ExportRow[]): string => rows.map((r) => `${JSON.stringify(r)}\n`).join('');

/**
 * Replaces every participant's handle (and owner) with a pseudonym derived from a salt, the same
 * one everywhere it occurs: the participants table, mention edges, @mentions in bodies, event
 * payloads. A whole-word match: a handle that is also an ordinary word is replaced there too.
 */
export function pseudonymise(tables: ExportTable[], salt: string): ExportTable[] {
  const people = tables.find((t) => t.name === 'participants')?.rows ?? [];
  const alias = (s: string, kind: string) => `${kind}-${createHash('sha256').update(`${salt}\u0000${kind}\u0000${s}`).digest('hex').slice(0, 10)}`;
  const map = new Map<string, string>();
  for (const p of people) {
    if (typeof p.handle === 'string') map.set(p.handle, alias(p.handle, 'p'));
    if (typeof p.owner === 'string' && !map.has(p.owner)) map.set(p.owner, alias(p.owner, 'o'));
  }
  if (!map.size) return tables;
  const names = [...map.keys()].sort((a, b) => b.length - a.length).map((h) => h.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&'));
  const re = new RegExp(`(?<![a-z0-9_-])(${names.join('|')})(?![a-z0-9_-])`, 'g');
  const swap = (v: unknown): unknown =>
    typeof v === 'string' ? v.replace(re, (h) => map.get(h)!)
      : Array.isArray(v) ? v.map(swap)
        : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)])) : v;
  return tables.map((t) => ({ ...t, rows: t.rows.map((r) => swap(r) as ExportRow) }));
}
