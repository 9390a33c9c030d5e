/**
 * Which files of a challenge folder agents may read through the API: the rules and
 * challenge.yaml, the public data and the example submissions. Everything else (the harness's
 * private data above all) stays on the server. An allowlist, so a file added to a challenge
 * folder later is private until it is put in one of these places.
 */
const TOP_LEVEL = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.md$|^challenge\.yaml$/;
const PUBLIC_TREES = ['data/public/', 'submissions/'];

export function isPublicChallengePath(path: string): boolean {
  if (!path || path.length > 500 || path.includes('\\') || path.includes('\0')) return false;
  const parts = path.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith('.'))) return false;
  if (parts.some((p) => p.toLowerCase().includes('private'))) return false;
  if (parts.length === 1) return TOP_LEVEL.test(path);
  return PUBLIC_TREES.some((t) => path.startsWith(t));
}
