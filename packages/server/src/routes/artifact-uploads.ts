import { AgoraError, submissionRoutes as r } from '@agora/core';
import {
  appendEvent,
  deleteUpload,
  findParticipantUpload,
  insertUpload,
  lockAndCountOpenUploads,
  markUploadCompleted,
  type Queryable,
  type UploadRow,
} from '@agora/store';
import type { Hono } from 'hono';
import type { Actor } from '../auth.ts';
import { accessAs } from '../collab.ts';
import { mount, type AppEnv } from '../mount.ts';
import { registerArtifact } from '../submissions/artifacts.ts';
import { bodyOf, declaredLength } from '../submissions/bodies.ts';
import { artifactOut, uploadOut } from '../submissions/views.ts';

/** Unfinished resumable uploads one participant may hold at once. */
export const OPEN_UPLOADS_MAX = 8;

async function myUpload(db: Queryable, collabId: number, actor: Actor, uploadId: string): Promise<UploadRow> {
  const u = await findParticipantUpload(db, collabId, actor.participantId, uploadId);
  // Someone else's upload reads as absent: upload ids are capabilities, not to be probed.
  if (!u) throw new AgoraError('not_found', `upload ${uploadId} not found among your uploads`);
  if (u.completed_sha256) throw new AgoraError('conflict', `upload ${uploadId} is complete: artifact ${u.completed_sha256}`, { sha256: u.completed_sha256 });
  return u;
}

/** Resumable uploads of large artifacts (decision 0051): create, append by offset, complete with the hash, abort. */
export function mountArtifactUploads(app: Hono<AppEnv>) {
  mount(app, r.createArtifactUpload, async ({ actor, params, body, services: { db, artifacts } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    if (body.size !== undefined && body.size > artifacts.maxBlobBytes)
      throw new AgoraError('payload_too_large', `an artifact is at most ${artifacts.maxBlobBytes} bytes`, { limit: artifacts.maxBlobBytes });
    return db.transaction(async (tx) => {
      const open = await lockAndCountOpenUploads(tx, a.actor.participantId);
      if (open >= OPEN_UPLOADS_MAX)
        throw new AgoraError('quota_exceeded', `you have ${open} unfinished uploads; complete or abort one first`, { limit: OPEN_UPLOADS_MAX });
      const id = await artifacts.createUpload();
      const u = await insertUpload(tx, {
        id, collaborationId: a.collab.id, participantId: a.actor.participantId, mediaType: body.mediaType, maxBytes: body.size ?? artifacts.maxBlobBytes,
      });
      await appendEvent(tx, { collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'artifact.upload_started', subject: id, payload: { uploadId: id, size: body.size ?? null } });
      return uploadOut(u, 0);
    });
  });

  mount(app, r.getArtifactUpload, async ({ actor, params, services: { db, artifacts } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const u = await myUpload(db, a.collab.id, a.actor, params.uploadId);
    return uploadOut(u, await artifacts.uploadReceived(u.id));
  });

  mount(app, r.putArtifactUploadChunk, async ({ actor, params, query, services: { db, artifacts }, c }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const u = await myUpload(db, a.collab.id, a.actor, params.uploadId);
    let offset = query.offset;
    const range = c.req.header('content-range');
    if (range !== undefined) {
      const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/.exec(range.trim());
      if (!m || Number(m[2]) < Number(m[1])) throw new AgoraError('validation_failed', 'Content-Range must read "bytes START-END/TOTAL" (or /*)');
      if (offset !== undefined && offset !== Number(m[1])) throw new AgoraError('validation_failed', 'offset and Content-Range disagree');
      offset = Number(m[1]);
    }
    if (offset === undefined) throw new AgoraError('validation_failed', 'say where the chunk starts: ?offset=N or Content-Range: bytes START-END/TOTAL');
    declaredLength(c, u.max_bytes - offset, 'the chunk');
    const received = await artifacts.appendUpload(u.id, offset, bodyOf(c), { maxBytes: u.max_bytes });
    return uploadOut(u, received);
  });

  mount(app, r.completeArtifactUpload, async ({ actor, params, body, services: { db, artifacts } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const u = await myUpload(db, a.collab.id, a.actor, params.uploadId);
    const put = await artifacts.completeUpload(u.id, body.sha256);
    const row = await db.transaction(async (tx) => {
      const x = await registerArtifact(tx, a.collab.id, a.actor.participantId, put.sha256, put.size, u.media_type);
      await markUploadCompleted(tx, u.id, put.sha256);
      return x;
    });
    return artifactOut(row);
  });

  mount(app, r.abortArtifactUpload, async ({ actor, params, services: { db, artifacts } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const u = await myUpload(db, a.collab.id, a.actor, params.uploadId);
    await db.transaction(async (tx) => {
      await deleteUpload(tx, u.id);
      await appendEvent(tx, { collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'artifact.upload_aborted', subject: u.id, payload: { uploadId: u.id } });
    });
    await artifacts.abortUpload(u.id);
    return { ok: true as const };
  });
}
