/**
 * One `Range: bytes=...` request header against a blob of `size` bytes. Only single ranges are
 * served; anything else (absent, malformed, several ranges) gets the whole blob, as RFC 9110 allows.
 */
export type RangeAsk = { kind: 'whole' } | { kind: 'part'; start: number; end: number } | { kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeAsk {
  const m = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header?.trim() ?? '');
  if (!m || !(m[1] || m[2])) return { kind: 'whole' };
  const start = m[1] ? Number(m[1]) : Math.max(0, size - Number(m[2]));
  const end = m[1] && m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
  if (start > end || start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'part', start, end };
}
