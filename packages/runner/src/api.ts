// The runner's side of the protocol: the typed SDK client holding the runner token, plus the
// two things the JSON client does not do: bounded, hash-checked downloads and an upload of the
// result that retries network errors with the very same body.

import { createHash } from 'node:crypto';
import { createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import type { z } from 'zod';
import type { ResultBody, ResultResponse } from '@agora/core';
import { AgoraApiError, AgoraClient, readResponse } from '@agora/sdk';

export type ResultUpload = z.input<typeof ResultBody>;
export type ResultAnswer = z.infer<typeof ResultResponse>;

export function runnerClient(url: string, token: string): AgoraClient {
  return new AgoraClient({ url, apiKey: token });
}

/** Network trouble or a 5xx: worth trying again. 4xx answers are final. */
export function isRetryable(err: unknown): boolean {
  if (err instanceof AgoraApiError) return err.status >= 500 || err.status === 429;
  return true;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * GET `path` (relative to the server, query included) into `file`; refuses more than `maxBytes`
 * and checks the sha256 when given. Throws AgoraApiError for an error answer.
 */
export async function download(client: AgoraClient, path: string, file: string, o: { maxBytes: number; sha256?: string }): Promise<number> {
  const res = await client.raw(path);
  if (!res.ok) {
    await readResponse(res);
    throw new AgoraApiError(res.status, 'http_error', `download of ${path} failed: ${res.status}`, null);
  }
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > o.maxBytes) {
    await res.body?.cancel();
    throw new Error(`download of ${path}: ${declared} bytes is over the limit of ${o.maxBytes}`);
  }
  const hash = createHash('sha256');
  const out = createWriteStream(file, { mode: 0o600 });
  let size = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.byteLength;
      if (size > o.maxBytes) throw new Error(`download of ${path}: more than ${o.maxBytes} bytes`);
      hash.update(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (e) {
    out.destroy();
    rmSync(file, { force: true });
    throw e;
  }
  const got = hash.digest('hex');
  if (o.sha256 && got !== o.sha256) {
    rmSync(file, { force: true });
    throw new Error(`download of ${path}: sha256 ${got} does not match the expected ${o.sha256}`);
  }
  return size;
}

export type UploadOutcome =
  | { status: 'written'; answer: ResultAnswer }
  /**
   * 409: another result stands (result_exists) or the lease is gone (lease_lost); this request changed
   * nothing. `afterRetry`: an earlier try of this very body may be the result that stands (its answer was lost).
   */
  | { status: 'conflict'; code: string; message: string; afterRetry: boolean }
  | { status: 'refused'; code: string; message: string };

/**
 * Posts a result once. Network errors and 5xx are retried with the same body (the server writes a
 * result exactly once, so a retry after a lost answer is safe: it gets 409 result_exists).
 */
export async function uploadResult(
  client: AgoraClient,
  jobId: number,
  body: ResultUpload,
  o: { log?: (line: string) => void; attempts?: number; backoffMs?: number } = {},
): Promise<UploadOutcome> {
  const attempts = o.attempts ?? 8;
  let delay = o.backoffMs ?? 500;
  for (let i = 1; ; i++) {
    try {
      const answer = await client.call('submitJobResult', { params: { id: jobId }, body });
      return { status: 'written', answer };
    } catch (err) {
      if (err instanceof AgoraApiError && err.status === 409) return { status: 'conflict', code: err.code, message: err.message, afterRetry: i > 1 };
      if (!isRetryable(err) || i >= attempts) {
        const e = err as { code?: string; message: string };
        return { status: 'refused', code: err instanceof AgoraApiError ? err.code : (e.code ?? 'network'), message: e.message };
      }
      o.log?.(`job ${jobId}: result upload failed (${(err as Error).message}); retry ${i}/${attempts - 1} in ${delay} ms`);
      await sleep(delay);
      delay = Math.min(delay * 2, 30_000);
    }
  }
}
