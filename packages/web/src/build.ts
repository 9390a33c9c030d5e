/**
 * Builds the dashboard with Vite when its inputs changed since the last build, and does nothing
 * otherwise: `scripts/setup.sh` (so `npm start` and `npm test`) and the browser test call it.
 * "Changed" is a hash of the inputs' contents (the app, core and the SDK it imports, the lock
 * file), not their times, so a fresh clone builds once and a checkout that changes nothing
 * builds nothing.
 *
 *   node packages/web/src/build.ts          build if stale
 *   node packages/web/src/build.ts --force  build anyway
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { distDir, webRoot } from './dist.ts';

const repoRoot = join(webRoot, '..', '..');
const STAMP = join(distDir, '.inputs-sha256');

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (!name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

/** The hash of everything the bundle is made from. */
export function inputsHash(): string {
  const inputs = [
    ...files(join(webRoot, 'app')),
    join(webRoot, 'index.html'),
    join(webRoot, 'package.json'),
    join(webRoot, 'src', 'build.ts'),
    ...files(join(repoRoot, 'packages', 'core', 'src')),
    ...files(join(repoRoot, 'packages', 'sdk', 'src')),
    join(repoRoot, 'package-lock.json'),
  ].filter(existsSync);
  const h = createHash('sha256');
  for (const f of inputs) h.update(relative(repoRoot, f)).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

export function isBuilt(): boolean {
  return existsSync(join(distDir, 'index.html')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === inputsHash();
}

/** Builds when stale; answers whether it built. */
export async function buildIfStale(opts: { force?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  if (!opts.force && isBuilt()) return false;
  if (!opts.quiet) process.stderr.write('agora web: building the dashboard (Vite)\n');
  const hash = inputsHash();
  const { build } = await import('vite');
  await build({
    root: webRoot,
    configFile: false,
    logLevel: 'warn',
    // Everything is served from our own origin under a strict CSP: no inlined data: assets.
    build: { outDir: distDir, emptyOutDir: true, assetsInlineLimit: 0, target: 'es2022', chunkSizeWarningLimit: 2000 },
    worker: { format: 'es' },
    resolve: {
      // @agora/core is pure but for one Node import that the browser never calls (submission
      // fingerprints are computed by the server); a stub keeps Node's crypto out of the bundle.
      alias: [{ find: /^node:crypto$/, replacement: join(webRoot, 'app', 'node-stub.ts') }],
    },
  });
  writeFileSync(STAMP, hash);
  return true;
}

if (import.meta.main) {
  await buildIfStale({ force: process.argv.includes('--force') });
}
