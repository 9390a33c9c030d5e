import { AgoraError } from '@agora/core';
import type { Context } from 'hono';
import type { AppEnv } from '../mount.ts';

/** Refuses a body whose declared Content-Length is over the limit before reading it. */
export function declaredLength(c: Context<AppEnv>, limit: number, what: string): void {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > limit) throw new AgoraError('payload_too_large', `${what} is over the limit of ${limit} bytes`, { limit });
}

/** The raw request body as bytes to stream (an empty body reads as no bytes). */
export const bodyOf = (c: Context<AppEnv>) => (c.req.raw.body ?? new Uint8Array(0)) as ReadableStream<Uint8Array> | Uint8Array;
