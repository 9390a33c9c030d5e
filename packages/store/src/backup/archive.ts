import { mkdirSync } from 'node:fs';
import { create, extract } from 'tar';
import { ARCHIVE_ENTRIES } from './format.ts';

const ENTRY = /^(agora-backup\.json|tables\/?|tables\/[a-z0-9_]+\.jsonl|blobs\/?|blobs\/[0-9a-f]{64})$/;

/** The backup folder as a tar.gz stream (the archive `agora backup` writes). */
export function packBackup(dir: string): AsyncIterable<Uint8Array> {
  return create({ gzip: true, cwd: dir, portable: true }, ARCHIVE_ENTRIES);
}

/** Unpacks a backup archive into `dir`: only the names a backup has, plain files and folders only. */
export async function unpackBackup(file: string, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const refused: string[] = [];
  await extract({
    file, cwd: dir, strict: true,
    filter: (path, entry) => {
      const type = (entry as { type?: string }).type;
      const ok = ENTRY.test(path) && (type === 'File' || type === 'Directory');
      if (!ok) refused.push(path);
      return ok;
    },
  });
  if (refused.length) throw new Error(`not an Agora backup: unexpected entries ${refused.slice(0, 5).join(', ')}`);
}
