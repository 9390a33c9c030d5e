import { AgoraError } from '@agora/core';
import {
  findSubmission,
  submissionArtifactFiles,
  submissionChildren,
  submissionCredits,
  submissionFiles,
  type ArtifactRow,
  type Queryable,
  type SubmissionRow,
  type UploadRow,
} from '@agora/store';
import { isoReq } from '../collab.ts';

/** What the API shows of submissions, artifacts and uploads. */

export const summaryOut = (s: SubmissionRow) => ({
  id: s.id, ref: `#s${s.id}`, author: s.author, title: s.title, levers: s.levers, parents: s.parents,
  fingerprint: s.fingerprint, duplicateOf: s.duplicate_of, bundleSha256: s.bundle_sha256, fileCount: s.file_count,
  totalBytes: s.total_bytes, staged: s.staged,
  invalidated: s.invalidated_at ? { at: isoReq(s.invalidated_at), reason: s.invalidated_reason } : null,
  createdAt: isoReq(s.created_at),
});

export async function detailOut(db: Queryable, s: SubmissionRow) {
  return {
    ...summaryOut(s),
    description: s.description,
    credits: await submissionCredits(db, s.id),
    files: await submissionFiles(db, s.id),
    artifacts: (await submissionArtifactFiles(db, s.id)).map(({ path, sha256, size }) => ({ path, sha256, size })),
    children: await submissionChildren(db, s.id),
  };
}

/** The submission, or not_found naming it. */
export async function requireSubmission(db: Queryable, collabId: number, id: number): Promise<SubmissionRow> {
  const s = await findSubmission(db, collabId, id);
  if (!s) throw new AgoraError('not_found', `submission #s${id} not found in this collaboration`, { id });
  return s;
}

export const artifactOut = (x: ArtifactRow) => ({
  sha256: x.sha256, size: x.size_bytes, mediaType: x.media_type, uploadedBy: x.uploaded_by, createdAt: isoReq(x.created_at),
});

export const uploadOut = (u: UploadRow, received: number) => ({
  uploadId: u.id, received, maxBytes: u.max_bytes, mediaType: u.media_type, createdAt: isoReq(u.created_at),
});
