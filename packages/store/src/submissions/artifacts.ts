import type { Queryable } from '../db.ts';
import type { ArtifactRow } from './rows.ts';

/** Records a blob now in the blob store (idempotent: the first upload's row stays). */
export async function insertArtifact(tx: Queryable, a: { sha256: string; size: number; mediaType: string; uploadedBy: number }): Promise<void> {
  await tx.query(
    'insert into artifacts (sha256, size_bytes, media_type, uploaded_by) values ($1, $2, $3, $4) on conflict (sha256) do nothing',
    [a.sha256, a.size, a.mediaType, a.uploadedBy]);
}

/** Makes an artifact readable in a collaboration; true when it was new there. */
export async function addCollaborationArtifact(tx: Queryable, collabId: number, sha256: string, uploadedBy: number): Promise<boolean> {
  const added = await tx.query(
    'insert into collaboration_artifacts (collaboration_id, sha256, uploaded_by) values ($1, $2, $3) on conflict do nothing returning sha256',
    [collabId, sha256, uploadedBy]);
  return added.length > 0;
}

export async function findCollaborationArtifact(db: Queryable, collabId: number, sha256: string): Promise<ArtifactRow | undefined> {
  const [x] = await db.query<ArtifactRow>(
    `select a.sha256, a.size_bytes, a.media_type, p.handle as uploaded_by, ca.created_at from collaboration_artifacts ca
     join artifacts a on a.sha256 = ca.sha256 left join participants p on p.id = ca.uploaded_by
     where ca.collaboration_id = $1 and ca.sha256 = $2`, [collabId, sha256]);
  return x && { ...x, size_bytes: Number(x.size_bytes) };
}

/** Sizes of those of these artifacts the collaboration holds; the others are absent. */
export async function collaborationArtifactSizes(db: Queryable, collabId: number, sha256s: string[]): Promise<Map<string, number>> {
  if (!sha256s.length) return new Map();
  const rows = await db.query<{ sha256: string; size: number }>(
    `select a.sha256, a.size_bytes as size from collaboration_artifacts ca join artifacts a on a.sha256 = ca.sha256
     where ca.collaboration_id = $1 and ca.sha256 = any($2::text[])`, [collabId, sha256s]);
  return new Map(rows.map((k) => [k.sha256, Number(k.size)]));
}
