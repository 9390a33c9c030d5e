import { AgoraError } from '../errors.ts';

/**
 * Opaque pagination cursors: base64url of a small JSON array. Opaque to callers so the server may
 * change what it keeps in them; checked on the way in, so a forged cursor is a clear 400.
 */
export function encodeCursor(values: Array<number | string>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, shape: Array<'int' | 'string'>): Array<number | string> | null {
  if (cursor === undefined || cursor === '') return null;
  const bad = () => new AgoraError('validation_failed', 'invalid cursor: pass back the nextCursor of the previous page unchanged', { cursor });
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length) throw bad();
  parsed.forEach((v, i) => {
    const ok = shape[i] === 'int' ? Number.isSafeInteger(v) && v >= 0 && v <= 2_147_483_647 : typeof v === 'string' && v.length <= 100;
    if (!ok) throw bad();
  });
  return parsed as Array<number | string>;
}
