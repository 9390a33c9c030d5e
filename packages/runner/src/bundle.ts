// Unpacking a job's submission bundle (tar.gz). The bundle is untrusted: it is read by the one
// reader of untrusted archives that the server uses too (@agora/store/archive, decision 0052):
// plain files and folders only, every rule checked before one byte is written.

import { createReadStream, mkdirSync, rmSync } from 'node:fs';
import { AgoraError, quoted } from '@agora/core';
import { archiveEntryProblem, unpackUntrustedTarGz, type ArchiveLimits } from '@agora/store/archive';

export type BundleLimits = ArchiveLimits;

/** The bundle itself is bad: the submission's fault (outcome `failed`). */
export class BadBundleError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    const shown = problems.slice(0, 5).join('; ');
    super(`the submission bundle was refused: ${shown}${problems.length > 5 ? `; and ${problems.length - 5} more` : ''}`);
    this.name = 'BadBundleError';
    this.problems = problems;
  }
}

/** Printable form of an untrusted name for error messages (no control characters, bounded). */
export const shown = quoted;

/**
 * Why one entry (or an artifact's path, as a 'File') is refused, or null. The last two parameters
 * are ignored: links are refused outright (decision 0052), so no link state is kept.
 */
export function entryProblem(type: string, rawPath: string, _linkpath?: string, _symlinks?: Set<string>): string | null {
  return archiveEntryProblem(type, rawPath);
}

/**
 * Unpacks `file` into `dir`, which is emptied first. Throws BadBundleError (and leaves `dir`
 * empty) when anything is wrong with the archive.
 */
export async function extractBundle(file: string, dir: string, limits: BundleLimits): Promise<{ files: number; bytes: number }> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  try {
    const files = await unpackUntrustedTarGz(() => createReadStream(file), dir, limits);
    return { files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    if (err instanceof AgoraError) {
      const problems = (err.details as { problems?: string[] } | null)?.problems;
      throw new BadBundleError(problems?.length ? problems : [err.message]);
    }
    throw err;
  }
}
