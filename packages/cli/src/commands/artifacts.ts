// `agora artifacts upload|show|download`: large blobs (checkpoints, bundles). Uploads over one chunk
// are resumable: each chunk is sent at the offset the server has, so a dropped connection resumes
// where it stopped (`--resume UPLOAD_ID` picks up an upload from an earlier run).

import { createWriteStream, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { readResponse } from '@agora/sdk';
import { uploadArtifact } from '@agora/sdk/local';
import { CliError, UsageError, type Command, type Ctx } from '../command.ts';
import { fields, safe, when } from '../output.ts';

/** Streams a raw response body to a new file (an existing one is never overwritten). */
export async function saveResponse(res: Response, out: string): Promise<number> {
  if (!res.ok) await readResponse(res);
  if (!res.body) throw new CliError('http_error', 'empty response');
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), createWriteStream(out, { flags: 'wx' }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError('file', `${out} exists already; pick another --out`);
    throw e;
  }
  return statSync(out).size;
}

function sha(a: string | undefined): string {
  if (!a || !/^[0-9a-f]{64}$/.test(a)) throw new UsageError('missing <sha256> (64 lowercase hex digits)');
  return a;
}

/**
 * Fetches one file the API serves raw (a bundle file, a public challenge file) and prints it:
 * text made terminal-safe, binary only described, or the bytes as base64 with --json.
 */
export async function printServedFile(c: Ctx, url: string, path: string): Promise<void> {
  const client = c.client();
  const res = await client.raw(url.slice(client.url.length));
  if (!res.ok) await readResponse(res);
  const bytes = Buffer.from(await res.arrayBuffer());
  if (c.json) c.out(JSON.stringify({ path, size: bytes.length, contentType: res.headers.get('content-type'), base64: bytes.toString('base64') }));
  else if (/^text\//.test(res.headers.get('content-type') ?? '')) c.io.stdout(safe(bytes.toString('utf8'), { multiline: true }));
  else c.note(`${path}: ${bytes.length} bytes of binary data (use --json for base64)`);
}

export async function download(c: Ctx, route: 'downloadArtifact' | 'downloadBundle', params: Record<string, unknown>, out: string): Promise<number> {
  const client = c.client();
  const url = client.path(route, params);
  return saveResponse(await client.raw(url.slice(client.url.length)), out);
}


export const artifactCommands: Command[] = [
  {
    name: 'artifacts upload',
    args: '<file> [--media-type T] [--resume UPLOAD_ID]',
    summary: 'Upload a large file (a checkpoint) to the collaboration; prints its sha256 for `submit --artifact PATH=SHA256`.',
    options: { 'media-type': { type: 'string' }, resume: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const file = a.pos(0, '<file>');
      const mediaType = a.str('media-type');
      const resume = a.str('resume');
      const res = await uploadArtifact(c.authed(), c.collab(), file, { ...(mediaType ? { mediaType } : {}), ...(resume ? { resume } : {}), note: (s) => c.note(s) });
      c.print(res, () => `${fields([['sha256', res.sha256], ['bytes', res.size], ['media type', res.mediaType], ['uploaded', when(res.createdAt)]])}\nuse it: ${c.cmd(`submit DIR --title T --artifact path/in/bundle=${res.sha256}`)}`);
    },
  },
  {
    name: 'artifacts show',
    args: '<sha256>',
    summary: 'An artifact of the collaboration: size, media type, uploader.',
    async run(c, a) {
      a.atMost(1);
      const res = await c.client().call('getArtifact', { params: { collab: c.collab(), sha256: sha(a.positionals[0]) } });
      c.print(res, () => fields([['sha256', res.sha256], ['bytes', res.size], ['media type', res.mediaType], ['uploaded by', res.uploadedBy ? `@${res.uploadedBy}` : null], ['uploaded', when(res.createdAt)]]));
    },
  },
  {
    name: 'artifacts download',
    args: '<sha256> --out FILE',
    summary: 'Download an artifact to a file (never overwritten).',
    options: { out: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const hash = sha(a.positionals[0]);
      const out = a.need('out');
      const n = await download(c, 'downloadArtifact', { collab: c.collab(), sha256: hash }, out);
      c.print({ sha256: hash, out, bytes: n }, () => `wrote ${n} bytes to ${out}`);
    },
  },
];
