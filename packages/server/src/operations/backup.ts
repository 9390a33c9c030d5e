import { AgoraError } from '@agora/core';
import { exportBackup, packBackup } from '@agora/store/backup';
import type { Actor } from '../auth.ts';
import { streamResponse } from '../downloads.ts';
import type { Services } from '../services.ts';

/**
 * A backup of the whole server, as the archive stream (decision 0161): the snapshot is taken into a
 * scratch folder first (the transaction stays short; a slow download holds no database snapshot),
 * then packed as it is sent; the folder goes when the stream ends or the client leaves.
 */
export async function takeBackup(services: Services, actor: Actor): Promise<Response> {
  if (!actor.isAdmin) throw new AgoraError('forbidden', 'backups are taken by server admins');
  const work = await services.scratch.workDir('backup-');
  let manifest;
  try {
    manifest = await exportBackup(services.db, services.artifacts, work.path);
  } catch (e) {
    await work.dispose();
    throw e;
  }
  async function* packed() {
    try {
      yield* packBackup(work.path);
    } finally {
      await work.dispose();
    }
  }
  const stamp = manifest.createdAt.replace(/[:.]/g, '-');
  return streamResponse(ReadableStream.from(packed()), {
    'content-type': 'application/gzip',
    'content-disposition': `attachment; filename="agora-backup-${stamp}.tar.gz"`,
  });
}
