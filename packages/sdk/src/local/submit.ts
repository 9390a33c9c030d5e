// Submitting a local folder: inline when it fits one JSON body, else packed, uploaded as an
// artifact (resumable) and submitted by hash. The CLI's `agora submit` and the MCP `submit` tool.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { problemLines, submissionProblems, type Infer, type InferIn, type Routes, type SubmissionRules } from '@agora/core';
import type { AgoraClient } from '../client.ts';
import { LocalError } from './errors.ts';
import { collectFiles, inlineFile, packTar, type LocalFile } from './folder.ts';
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
  await checkBeforeUpload(client, collab, files, meta);
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total * 1.4 <= INLINE_BUDGET) {
    return client.call('createSubmission', { params: { collab }, body: { ...meta, files: files.map(inlineFile) } });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'agora-submit-'));
  try {
    opts.note?.(`packing ${files.length} files (${(total / 1048576).toFixed(1)} MB) into a tar.gz`);
    const archive = packTar(dir, tmp);
    const up = await uploadArtifact(client, collab, archive, { mediaType: 'application/gzip', ...(opts.note ? { note: opts.note } : {}) });
    return await client.call('createSubmission', { params: { collab }, body: { ...meta, bundle: up.sha256 } });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The server's checks (decision 0180), run here first with the challenge's rules, so a bundle with
 * problems is refused, every problem listed, before a byte of it is uploaded. The server checks again.
 */
async function checkBeforeUpload(client: AgoraClient, collab: string, files: LocalFile[], meta: SubmissionMeta): Promise<void> {
  const c = await client.call('getCollaboration', { params: { collab } });
  const rules = (c.challenge as { submission?: SubmissionRules }).submission;
  if (!rules) return;
  const byPath = new Map(files.map((f) => [f.path, f]));
  const present = new Set([...byPath.keys(), ...(meta.artifacts ?? []).map((a) => a.path)]);
  const read = (p: string) => {
    const f = byPath.get(p);
    return f && f.size <= 256 * 1024 ? readFileSync(f.abs, 'utf8') : null;
  };
  const problems = problemLines(submissionProblems(rules, files, present, read));
  if (problems.length)
    throw new LocalError('unprocessable', `${problems.length === 1 ? problems[0] : `${problems.length} problems with the submission`}; nothing was uploaded`, { problems });
}
