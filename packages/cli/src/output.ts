// Human-readable output: tables and text made safe for a terminal. Everything shown comes from
// other participants, so control characters (ANSI escapes, C1 CSI, bidi overrides) are made
// visible instead of being interpreted. See docs/decisions/0067-cli-output.md.

/** C0 (except tab and newline), DEL, C1 and bidirectional controls; they could rewrite the terminal. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g;

export function safe(s: string, opts: { multiline?: boolean } = {}): string {
  let out = s.replace(/\r\n/g, '\n').replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (!opts.multiline) out = out.replace(/[\n\t]/g, ' ');
  return out;
}

/** Display width, counting code points (good enough for a table; wide CJK is not measured). */
const width = (s: string) => [...s].length;

export function truncate(s: string, max: number): string {
  const cps = [...s];
  return cps.length <= max ? s : `${cps.slice(0, Math.max(0, max - 1)).join('')}…`;
}

export interface Column<T> {
  header: string;
  get: (row: T) => string | number | null | undefined;
  /** Widest the column may get; longer cells are cut with an ellipsis. */
  max?: number;
  align?: 'left' | 'right';
}

/** A plain text table: a header row, then one line per row; the last column is not padded. */
export function table<T>(rows: T[], cols: Column<T>[]): string {
  const cells = rows.map((r) =>
    cols.map((c) => {
      const v = c.get(r);
      const text = v === null || v === undefined || v === '' ? '-' : safe(String(v));
      return truncate(text, c.max ?? 60);
    }),
  );
  const widths = cols.map((c, i) => Math.max(width(c.header), ...cells.map((row) => width(row[i]!))));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => {
        if (i === vals.length - 1 && cols[i]!.align !== 'right') return v;
        const pad = ' '.repeat(widths[i]! - width(v));
        return cols[i]!.align === 'right' ? pad + v : v + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(cols.map((c) => c.header)), ...cells.map(line)].join('\n');
}

/** 2026-11-23 23:45 (UTC), from an ISO string; '-' for null. */
export function when(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return safe(iso);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')}`;
}

/** "key: value" lines, values made safe, keys aligned. */
export function fields(pairs: Array<[string, string | number | boolean | null | undefined]>): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(w + 1)} ${v === null || v === undefined || v === '' ? '-' : safe(String(v))}`).join('\n');
}

/** Indents every line of a block (markdown bodies, diffs). */
export function indent(text: string, prefix = '  '): string {
  return safe(text, { multiline: true })
    .split('\n')
    .map((l) => (l ? prefix + l : l))
    .join('\n');
}

export const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** Appended after a page of results that has more: how to fetch the next one. */
export function nextPage(cursor: string | null | undefined): string {
  return cursor ? `\n(more: --cursor ${cursor})` : '';
}
