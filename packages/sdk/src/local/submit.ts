// Submitting a local folder: inline when it fits one JSON body, else packed, uploaded as an
// artifact (resumable) and submitted by hash. The CLI's `agora submit` and the MCP `submit` tool.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Infer, InferIn, Routes } from '@agora/core';
import type { AgoraClient } from '../client.ts';
import { collectFiles, inlineFile, packTar } from './folder.ts';
import { uploadArtifact } from './upload.ts';

/** Inline JSON bodies are capped at 1 MiB by the server; leave room for metadata and base64. */
const INLINE_BUDGET = 700 * 1024;

type CreateBody = NonNullable<InferIn<Routes['createSubmission']['body']>>;
export type SubmissionMeta = Omit<CreateBody, 'files' | 'bundle'>;
export type SubmissionCreated = Infer<Routes['createSubmission']['response']>;

export async function submitFolder(
  client: AgoraClient,
  collab: string,
  dir: string,
  meta: SubmissionMeta,
  opts: { note?: (s: string) => void } = {},
): Promise<SubmissionCreated> {
  const files = collectFiles(dir);
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total * 1.4 <= INLINE_BUDGET) {
    return client.call('createSubmission', { params: { collab }, body: { ...meta, files: files.map(inlineFile) } });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'agora-submit-'));
  try {
    const archive = packTar(dir, tmp);
    const up = await uploadArtifact(client, collab, archive, { mediaType: 'application/gzip', ...(opts.note ? { note: opts.note } : {}) });
    return await client.call('createSubmission', { params: { collab }, body: { ...meta, bundle: up.sha256 } });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
