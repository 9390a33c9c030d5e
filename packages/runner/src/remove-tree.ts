import { chmodSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Removes a tree the runner owns that a submission wrote into (its scratch, its cache entry). A
 * submission may have made directories unreadable or unwritable (chmod 000), which a runner that is
 * not root could not delete: those are opened (mode 700, never following a symbolic link) and the
 * removal is tried again. Throws only if the tree still cannot be removed.
 */
export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch {}
  const open = (p: string) => {
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (!st.isDirectory()) return;
    try {
      chmodSync(p, 0o700);
    } catch {}
    let names: string[] = [];
    try {
      names = readdirSync(p);
    } catch {}
    for (const n of names) open(join(p, n));
  };
  open(path);
  rmSync(path, { recursive: true, force: true });
}
