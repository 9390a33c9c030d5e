import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { AgoraError, cursorCodec, looksLikeText, enforce, mayWorkNow, submissionRoutes as r, type SubmissionMeta } from '@agora/core';
import {
  appendEvent,
  existingSubmissionIds,
  findCollaborationArtifact,
  listSubmissionRows,
  lockSubmissionState,
  setSubmissionStaged,
  submissionArtifactAt,
  submissionFileAt,
} from '@agora/store';
import { unpackUntrustedTarGz } from '@agora/store/archive';
import type { Hono } from 'hono';
import { saveBody, writeInlineFiles } from '../bundles.ts';
import { access, accessAs, type CollabAccess } from '../collab.ts';
import { streamResponse } from '../downloads.ts';
import { mount, type AppEnv } from '../mount.ts';
import { bodyOf, declaredLength } from '../submissions/bodies.ts';
import { createSubmission, limitsOf } from '../submissions/create.ts';
import { DIFF_FILE_MAX, DIFF_TOTAL_MAX, diffAgainst } from '../submissions/diff.ts';
import { detailOut, requireSubmission, summaryOut } from '../submissions/views.ts';
import { mountArtifactUploads } from './artifact-uploads.ts';
import { mountArtifacts } from './artifacts.ts';

export { DIFF_FILE_MAX, DIFF_TOTAL_MAX } from '../submissions/diff.ts';

const submissionsCursor = cursorCodec('submissions', ['int']);
const GZIP_TYPES = /^application\/(gzip|x-gzip|x-tar\+gzip|octet-stream)\b/i;

/** The challenge's schedule: participants submit only between its start and its end. */
function submissionsOpen(a: CollabAccess): void {
  enforce(mayWorkNow(a.collab.challenge.schedule, new Date(), a.role, 'no new submissions'));
}

/** Submissions, their files, bundles and diffs; then the artifacts they reference. */
export function mountSubmissions(app: Hono<AppEnv>) {
  mount(app, r.createSubmission, async ({ actor, params, body, services }) => {
    const a = await accessAs(services.db, params.collab, actor, 'participant');
    submissionsOpen(a);
    const { files, bundle, ...meta } = body;
    return createSubmission(services, a, meta, async (dir, limits) => {
      if (files) return writeInlineFiles(dir, files);
      if (!(await findCollaborationArtifact(services.db, a.collab.id, bundle!)))
        throw new AgoraError('unprocessable', `bundle ${bundle} is not an artifact of this collaboration: upload the tar.gz first (uploadArtifact)`, { bundle });
      return unpackUntrustedTarGz(() => services.artifacts.get(bundle!), dir, limits);
    });
  });

  mount(app, r.uploadSubmission, async ({ actor, params, query, services, c }) => {
    const a = await accessAs(services.db, params.collab, actor, 'participant');
    submissionsOpen(a);
    if (!GZIP_TYPES.test(c.req.header('content-type') ?? ''))
      throw new AgoraError('unsupported_media_type', 'send the bundle as a tar.gz body with content-type: application/gzip');
    const limits = limitsOf(a.collab);
    declaredLength(c, limits.maxBytes, 'the bundle');
    const work = await services.scratch.workDir('upl-');
    try {
      const archive = join(work.path, 'upload.tar.gz');
      await saveBody(bodyOf(c), archive, limits.maxBytes);
      const meta: SubmissionMeta = {
        title: query.title, description: query.description, parents: [...new Set(query.parents)], levers: [...new Set(query.levers)],
        credits: query.credits.map((handle) => ({ handle })), artifacts: [], staged: query.staged,
      };
      return await createSubmission(services, a, meta, (dir, l) => unpackUntrustedTarGz(() => createReadStream(archive), dir, l));
    } finally {
      await work.dispose();
    }
  });

  mount(app, r.listSubmissions, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const [before] = submissionsCursor.decode(query.cursor) ?? [null];
    const rows = await listSubmissionRows(db, a.collab.id, {
      beforeId: before, author: query.author, lever: query.lever, parent: query.parent, staged: query.staged, limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? submissionsCursor.encode([page.at(-1)!.id]) : null;
    return { items: page.map(summaryOut), nextCursor };
  });

  mount(app, r.getSubmission, async ({ actor, params, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    return detailOut(db, await requireSubmission(db, a.collab.id, params.id));
  });

  mount(app, r.downloadBundle, async ({ actor, params, services: { db, artifacts } }) => {
    const a = await access(db, params.collab, actor);
    const s = await requireSubmission(db, a.collab.id, params.id);
    const blob = await artifacts.stat(s.bundle_sha256);
    if (!blob) throw new AgoraError('gone', `the bundle of #s${s.id} is missing from the artifact store`, { sha256: s.bundle_sha256 });
    return streamResponse(await artifacts.get(s.bundle_sha256), {
      'content-type': 'application/gzip', 'content-length': String(blob.size), etag: `"${s.bundle_sha256}"`,
      'content-disposition': `attachment; filename="${a.collab.slug}-s${s.id}.tar.gz"`,
    });
  });

  mount(app, r.getSubmissionFile, async ({ actor, params, query, services: { db, artifacts } }) => {
    const a = await access(db, params.collab, actor);
    const s = await requireSubmission(db, a.collab.id, params.id);
    const f = await submissionFileAt(db, s.id, query.path);
    if (!f) {
      const art = await submissionArtifactAt(db, s.id, query.path);
      if (art) throw new AgoraError('not_found', `${query.path} is a large artifact: download it from .../artifacts/${art.sha256}/content`, { artifact: art.sha256 });
      throw new AgoraError('not_found', `#s${s.id} has no file ${JSON.stringify(query.path)}`);
    }
    const text = f.size <= DIFF_FILE_MAX && looksLikeText(await artifacts.read(f.sha256, DIFF_FILE_MAX));
    return streamResponse(await artifacts.get(f.sha256), {
      'content-type': text ? 'text/plain; charset=utf-8' : 'application/octet-stream', 'content-length': String(f.size), etag: `"${f.sha256}"`,
      ...(text ? {} : { 'content-disposition': 'attachment' }),
    });
  });

  mount(app, r.diffSubmission, async ({ actor, params, query, services: { db, artifacts } }) => {
    const a = await access(db, params.collab, actor);
    const s = await requireSubmission(db, a.collab.id, params.id);
    let against = s.parents;
    if (query.against !== undefined) {
      if (!(await existingSubmissionIds(db, a.collab.id, [query.against])).size)
        throw new AgoraError('unprocessable', `#s${query.against} is not a submission of this collaboration`, { against: query.against });
      against = [query.against];
    }
    const budget = { left: DIFF_TOTAL_MAX };
    const items = [];
    for (const other of against) items.push(await diffAgainst(artifacts, db, s, other, query.context, budget));
    return { submission: s.id, items };
  });

  mount(app, r.setSubmissionStaged, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    return db.transaction(async (tx) => {
      const cur = await lockSubmissionState(tx, a.collab.id, params.id);
      if (!cur) throw new AgoraError('not_found', `submission #s${params.id} not found in this collaboration`);
      if (cur.author_id !== a.actor.participantId) throw new AgoraError('forbidden', `only the author stages or unstages #s${params.id}`);
      if (body.staged && cur.invalidated_at) throw new AgoraError('conflict', `#s${params.id} was invalidated and cannot be staged`);
      if (cur.staged !== body.staged) {
        await setSubmissionStaged(tx, params.id, body.staged);
        await appendEvent(tx, {
          collaborationId: a.collab.id, actorId: a.actor.participantId, type: body.staged ? 'submission.staged' : 'submission.unstaged',
          subject: `#s${params.id}`, payload: { id: params.id, staged: body.staged },
        });
      }
      return summaryOut(await requireSubmission(tx, a.collab.id, params.id));
    });
  });

  mountArtifactUploads(app);
  mountArtifacts(app);
}
