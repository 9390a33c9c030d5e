import { addCollaborationArtifact, appendEvent, findCollaborationArtifact, insertArtifact, type ArtifactRow, type Queryable } from '@agora/store';

/** Registers an artifact now in the store with this collaboration (idempotent); the event only when it is new here. */
export async function registerArtifact(tx: Queryable, collabId: number, actorId: number, sha256: string, size: number, mediaType: string): Promise<ArtifactRow> {
  await insertArtifact(tx, { sha256, size, mediaType, uploadedBy: actorId });
  if (await addCollaborationArtifact(tx, collabId, sha256, actorId))
    await appendEvent(tx, { collaborationId: collabId, actorId, type: 'artifact.uploaded', subject: sha256, payload: { sha256, size, mediaType } });
  return (await findCollaborationArtifact(tx, collabId, sha256))!;
}
