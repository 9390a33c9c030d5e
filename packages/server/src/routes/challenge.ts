import { closeSync, createReadStream, lstatSync, openSync, readdirSync, readSync, realpathSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { AgoraError, challengeRoutes as r, isPublicChallengePath, looksLikeText } from '@agora/core';
import type { Hono } from 'hono';
import { access } from '../collab.ts';
import { streamResponse } from '../downloads.ts';
import { mount, type AppEnv } from '../mount.ts';

const MAX_LISTED = 5000;
const SNIFF_BYTES = 8192;

/** Public files under dir: regular files only (symbolic links are never followed), allowlisted paths. */
function listPublic(dir: string): { items: { path: string; size: number }[]; truncated: boolean } {
  const items: { path: string; size: number }[] = [];
  const walk = (d: string): boolean => {
    for (const name of readdirSync(d).sort()) {
      const abs = join(d, name);
      const rel = relative(dir, abs).split(sep).join('/');
      const st = lstatSync(abs);
      if (st.isDirectory()) {
        if (name.startsWith('.') || name === 'node_modules' || name === '__pycache__' || /private/i.test(name)) continue;
        if (!walk(abs)) return false;
      } else if (st.isFile() && isPublicChallengePath(rel)) {
        if (items.length >= MAX_LISTED) return false;
        items.push({ path: rel, size: st.size });
      }
    }
    return true;
  };
  const complete = walk(dir);
  return { items, truncated: !complete };
}

export function mountChallenge(app: Hono<AppEnv>) {
  mount(app, r.listChallengeFiles, async ({ actor, params, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    if (!a.collab.challenge_dir) return { items: [], truncated: false };
    return listPublic(a.collab.challenge_dir);
  });

  mount(app, r.getChallengeFile, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    // The same answer for private, missing and malformed paths: nothing tells what exists.
    const refuse = () => new AgoraError('not_found', `no public challenge file ${JSON.stringify(query.path)}: see .../challenge/files`);
    const dir = a.collab.challenge_dir;
    if (!dir || !isPublicChallengePath(query.path)) throw refuse();
    const abs = join(dir, ...query.path.split('/'));
    let real: string;
    try {
      real = realpathSync(abs);
    } catch {
      throw refuse();
    }
    // A symbolic link anywhere on the way could point at private data: only the plain path counts.
    if (real !== join(realpathSync(dir), ...query.path.split('/')) || !lstatSync(abs).isFile()) throw refuse();
    const size = lstatSync(abs).size;
    const head = Buffer.alloc(Math.min(size, SNIFF_BYTES));
    const fd = openSync(abs, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    const text = looksLikeText(head);
    return streamResponse(Readable.toWeb(createReadStream(abs)) as ReadableStream<Uint8Array>, {
      'content-type': text ? 'text/plain; charset=utf-8' : 'application/octet-stream',
      'content-length': String(size),
      ...(text ? {} : { 'content-disposition': 'attachment' }),
    });
  });
}
