import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Private scratch folders on this server's disk, for work on untrusted bundles (unpacking,
 * packing the canonical tar.gz) before their bytes go to the blob store. Each request takes a
 * fresh folder and disposes of it; folders left by a crash are swept when old.
 */
export class Scratch {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  async init(): Promise<this> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await this.cleanStale();
    return this;
  }

  async workDir(prefix = 'w-'): Promise<{ path: string; dispose(): Promise<void> }> {
    const path = await mkdtemp(join(this.root, prefix));
    return { path, dispose: () => rm(path, { recursive: true, force: true }) };
  }

  /** Removes folders older than maxAgeMs: old enough that no live request of any server process sharing this folder can own them. */
  async cleanStale(maxAgeMs = 24 * 3600 * 1000): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.root)) {
      const p = join(this.root, name);
      const st = await stat(p).catch(() => null);
      if (st && Date.now() - st.mtimeMs > maxAgeMs) {
        await rm(p, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }
}
