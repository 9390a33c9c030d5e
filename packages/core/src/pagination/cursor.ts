import { AgoraError } from '../errors.ts';

/**
 * Opaque pagination cursors, one codec for every list: base64url of a small JSON array whose first
 * element names the list (`['posts', 120]`), so a cursor from one list is refused by another.
 * Opaque to callers so the server may change what it keeps in them; checked field by field on the
 * way in, so a forged or foreign cursor is a clear 400 (`validation_failed`), never a query error.
 */
export type CursorField = 'int' | 'string';

type FieldValue<F extends CursorField> = F extends 'int' ? number : string;
export type CursorValues<S extends readonly CursorField[]> = { -readonly [K in keyof S]: FieldValue<S[K]> };

export interface CursorCodec<S extends readonly CursorField[]> {
  readonly kind: string;
  encode(values: CursorValues<S>): string;
  /** `null` for no cursor (the first page); throws `validation_failed` for anything not made by encode. */
  decode(cursor: string | null | undefined): CursorValues<S> | null;
}

const MAX_INT = 2_147_483_647;
const MAX_STRING = 100;

export function cursorCodec<const S extends readonly CursorField[]>(kind: string, shape: S): CursorCodec<S> {
  const bad = (cursor: string) =>
    new AgoraError('validation_failed', 'invalid cursor: pass back the nextCursor of the previous page unchanged', { cursor });
  const fits = (field: CursorField, v: unknown) =>
    field === 'int'
      ? Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= MAX_INT
      : typeof v === 'string' && v.length <= MAX_STRING;
  return {
    kind,
    encode(values) {
      return Buffer.from(JSON.stringify([kind, ...values])).toString('base64url');
    },
    decode(cursor) {
      if (cursor === undefined || cursor === null || cursor === '') return null;
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        throw bad(cursor);
      }
      if (!Array.isArray(parsed) || parsed.length !== shape.length + 1 || parsed[0] !== kind) throw bad(cursor);
      const values = parsed.slice(1);
      if (!values.every((v, i) => fits(shape[i]!, v))) throw bad(cursor);
      return values as CursorValues<S>;
    },
  };
}
