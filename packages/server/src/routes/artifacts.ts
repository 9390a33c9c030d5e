import { AgoraError, submissionRoutes as r } from '@agora/core';
import { findCollaborationArtifact } from '@agora/store';
import type { Hono } from 'hono';
import { access, accessAs } from '../collab.ts';
import { streamResponse } from '../downloads.ts';
import { mount, type AppEnv } from '../mount.ts';
import { parseRange } from '../ranges.ts';
import { registerArtifact } from '../submissions/artifacts.ts';
import { bodyOf, declaredLength } from '../submissions/bodies.ts';
import { artifactOut } from '../submissions/views.ts';

/** One request body of uploadArtifact; bigger artifacts go through resumable uploads. */
export const ONE_SHOT_ARTIFACT_MAX = 100 * 1024 * 1024;

/** Artifacts: uploaded in one request, described, downloaded whole or by byte range. */
export function mountArtifacts(app: Hono<AppEnv>) {
  mount(app, r.uploadArtifact, async ({ actor, params, query, services: { db, artifacts }, c }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const limit = Math.min(ONE_SHOT_ARTIFACT_MAX, artifacts.maxBlobBytes);
    declaredLength(c, limit, 'the artifact (use resumable uploads for large ones)');
    const put = await artifacts.put(bodyOf(c), { maxBytes: limit });
    const row = await db.transaction((tx) => registerArtifact(tx, a.collab.id, a.actor.participantId, put.sha256, put.size, query.mediaType));
    return artifactOut(row);
  });

  mount(app, r.getArtifact, async ({ actor, params, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const x = await findCollaborationArtifact(db, a.collab.id, params.sha256);
    if (!x) throw new AgoraError('not_found', `artifact ${params.sha256} not found in this collaboration`);
    return artifactOut(x);
  });

  mount(app, r.downloadArtifact, async ({ actor, params, services: { db, artifacts }, c }) => {
    const a = await access(db, params.collab, actor);
    const x = await findCollaborationArtifact(db, a.collab.id, params.sha256);
    if (!x) throw new AgoraError('not_found', `artifact ${params.sha256} not found in this collaboration`);
    const size = x.size_bytes;
    const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', etag: `"${x.sha256}"`, 'content-disposition': 'attachment' };
    const range = parseRange(c.req.header('range'), size);
    if (range.kind === 'unsatisfiable')
      return c.json({ error: { code: 'range_not_satisfiable', message: `the range ${c.req.header('range')!.slice(0, 60)} lies outside the ${size} bytes of artifact ${x.sha256}`, details: { size } } }, 416, { 'content-range': `bytes */${size}` });
    if (range.kind === 'part')
      return streamResponse(await artifacts.get(x.sha256, { start: range.start, end: range.end }), {
        ...headers, 'content-length': String(range.end - range.start + 1), 'content-range': `bytes ${range.start}-${range.end}/${size}`,
      }, 206);
    return streamResponse(await artifacts.get(x.sha256), { ...headers, 'content-length': String(size) });
  });
}
