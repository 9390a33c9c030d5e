import { createHash } from 'node:crypto';

/** One entry of a bundle's effective content: a file of the bundle, or a large artifact placed at a path. */
export interface BundleEntry {
  path: string;
  sha256: string;
  size: number;
  executable: boolean;
}

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Sorts by the UTF-8 bytes of the path (the order of `LC_ALL=C sort` and git), whatever the locale. */
export function byPath<T extends { path: string }>(entries: readonly T[]): T[] {
  return [...entries].sort((a, b) => Buffer.compare(utf8(a.path), utf8(b.path)));
}

/**
 * The canonical listing: one line per entry, sorted by path: `<sha256> <x|-> <path>\n`. Tar
 * details (order, times, owners, compression) and whether a file came inline or as an artifact
 * reference do not enter it: two bundles that unpack to the same tree have the same listing.
 */
export function canonicalListing(entries: readonly BundleEntry[]): string {
  return byPath(entries).map((e) => `${e.sha256} ${e.executable ? 'x' : '-'} ${e.path}\n`).join('');
}

/** The fingerprint of a bundle: sha256 of a version tag and its canonical listing. */
export function fingerprint(entries: readonly BundleEntry[]): string {
  return createHash('sha256').update('agora-bundle-v1\n').update(canonicalListing(entries)).digest('hex');
}
