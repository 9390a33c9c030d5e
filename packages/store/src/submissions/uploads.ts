import type { Queryable } from '../db.ts';
import type { UploadRow } from './rows.ts';

/** Unfinished resumable uploads of a participant, counted under a per-participant transaction lock. */
export async function lockAndCountOpenUploads(tx: Queryable, participantId: number): Promise<number> {
  await tx.query('select pg_advisory_xact_lock(4242050, $1)', [participantId]);
  const [open] = await tx.query<{ n: number }>(
    'select count(*)::int as n from artifact_uploads where participant_id = $1 and completed_sha256 is null', [participantId]);
  return open!.n;
}

export async function insertUpload(
  tx: Queryable, u: { id: string; collaborationId: number; participantId: number; mediaType: string; maxBytes: number },
): Promise<UploadRow> {
  const [row] = await tx.query<UploadRow>(
    'insert into artifact_uploads (id, collaboration_id, participant_id, media_type, max_bytes) values ($1, $2, $3, $4, $5) returning *',
    [u.id, u.collaborationId, u.participantId, u.mediaType, u.maxBytes]);
  return { ...row!, max_bytes: Number(row!.max_bytes) };
}

/** The upload if it is this participant's, in this collaboration. */
export async function findParticipantUpload(db: Queryable, collabId: number, participantId: number, uploadId: string): Promise<UploadRow | undefined> {
  const [u] = await db.query<UploadRow>(
    'select * from artifact_uploads where id = $1 and collaboration_id = $2 and participant_id = $3', [uploadId, collabId, participantId]);
  return u && { ...u, max_bytes: Number(u.max_bytes) };
}

export async function markUploadCompleted(tx: Queryable, uploadId: string, sha256: string): Promise<void> {
  await tx.query('update artifact_uploads set completed_sha256 = $2 where id = $1', [uploadId, sha256]);
}

export async function deleteUpload(tx: Queryable, uploadId: string): Promise<void> {
  await tx.query('delete from artifact_uploads where id = $1', [uploadId]);
}
