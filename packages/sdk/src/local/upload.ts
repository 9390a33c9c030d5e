// Artifacts from local files: one request when small, resumable chunks when large, so a dropped
// connection resumes where it stopped.

import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { AgoraApiError, readResponse, type AgoraClient } from '../client.ts';
import { LocalError } from './errors.ts';

const CHUNK = 8 * 1024 * 1024;

export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface Uploaded { sha256: string; size: number; mediaType: string; uploadedBy: string | null; createdAt: string }

/** Uploads a file as an artifact of the collaboration: one request when small, resumable chunks when large. */
export async function uploadArtifact(
  client: AgoraClient,
  collab: string,
  file: string,
  opts: { mediaType?: string; resume?: string; note?: (s: string) => void } = {},
): Promise<Uploaded> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new LocalError('file', `${file}: no such file`);
  }
  const mediaType = opts.mediaType ?? 'application/octet-stream';
  const rel = (p: string) => p.slice(client.url.length);
  if (size <= CHUNK && !opts.resume) {
    const url = client.path('uploadArtifact', { collab }, { mediaType });
    const res = await client.raw(rel(url), { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: await readChunk(file, 0, size) });
    return (await readResponse(res)) as Uploaded;
  }
  const mb = (n: number) => (n / 1048576).toFixed(1);
  opts.note?.(`hashing ${file} (${mb(size)} MB)`);
  const sha256 = await sha256File(file);
  const upload = opts.resume
    ? await client.call('getArtifactUpload', { params: { collab, uploadId: opts.resume } })
    : await client.call('createArtifactUpload', { params: { collab }, body: { mediaType, size } });
  opts.note?.(`upload ${upload.uploadId}: ${size} bytes in ${Math.ceil(size / CHUNK)} chunks (resume with --resume ${upload.uploadId})`);
  let offset = upload.received;
  let failures = 0;
  while (offset < size) {
    const len = Math.min(CHUNK, size - offset);
    try {
      const url = client.path('putArtifactUploadChunk', { collab, uploadId: upload.uploadId }, { offset });
      const res = await client.raw(rel(url), { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: await readChunk(file, offset, len) });
      offset = ((await readResponse(res)) as { received: number }).received;
      failures = 0;
      // Progress on the caller's note channel (the CLI's stderr), so --json output stays clean.
      opts.note?.(`upload ${upload.uploadId}: ${Math.floor((100 * offset) / size)}% (${mb(offset)} of ${mb(size)} MB)`);
    } catch (e) {
      // A refused chunk (4xx other than an offset mismatch) is final; network trouble and 5xx are retried from what arrived.
      if (e instanceof AgoraApiError && e.status < 500 && e.code !== 'conflict') throw e;
      if (++failures > 5) throw e;
      opts.note?.(`chunk at ${offset} failed (${(e as Error).message}); resuming`);
      await new Promise((r) => setTimeout(r, 500 * failures));
      offset = (await client.call('getArtifactUpload', { params: { collab, uploadId: upload.uploadId } })).received;
    }
  }
  return client.call('completeArtifactUpload', { params: { collab, uploadId: upload.uploadId }, body: { sha256 } });
}

async function readChunk(file: string, offset: number, len: number): Promise<Buffer> {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = readSync(fd, buf, got, len - got, offset + got);
      if (n === 0) throw new LocalError('file', `${file} changed while it was being uploaded`);
      got += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}
