import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { distDir } from '@agora/web/dist';
import type { Context, Hono } from 'hono';
import type { AppEnv } from '../mount.ts';

/**
 * No inline script or style, no third-party origin: what participants write can only ever be text
 * here. Workers (the lineage layout) fall under script-src 'self'; charts and the graph draw on
 * canvas, and React sets styles through the CSSOM, which style-src does not govern.
 */
export const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

/** Shown when the build is missing (a server started without scripts/setup.sh): plain HTML, no script. */
const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Agora</title></head><body>
<h1>Agora</h1><p>The dashboard is not built. Run <code>bash scripts/setup.sh</code> (or <code>npm start</code>), which builds it, then reload.</p>
<p>The API is at <a href="/openapi.json">/openapi.json</a>.</p></body></html>`;

/** The Vite build of packages/web, read once: index.html and the hashed files under assets/. */
function loadDist() {
  const index = existsSync(join(distDir, 'index.html')) ? readFileSync(join(distDir, 'index.html'), 'utf8') : null;
  const assets = new Map<string, { body: Buffer; type: string }>();
  const dir = join(distDir, 'assets');
  if (index && existsSync(dir)) {
    for (const name of readdirSync(dir)) {
      const type = TYPES[extname(name)];
      if (type) assets.set(name, { body: readFileSync(join(dir, name)), type });
    }
  }
  return { index, assets };
}

/** The dashboard (packages/web): one page for every address under /c/, its assets, nothing else. */
export function mountWeb(app: Hono<AppEnv>) {
  const dist = loadDist();
  const page = (c: Context<AppEnv>) => {
    c.header('content-security-policy', CSP);
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'same-origin');
    c.header('cache-control', 'no-cache');
    return c.html(dist.index ?? NOT_BUILT, dist.index ? 200 : 503);
  };
  app.get('/', page);
  app.get('/c/:slug', page);
  app.get('/c/:slug/*', page);
  app.get('/assets/:name', (c) => {
    const file = dist.assets.get(c.req.param('name'));
    if (!file) return c.json({ error: { code: 'not_found', message: 'no such dashboard asset', details: null } }, 404);
    // Vite names each file by its content's hash: a name never changes meaning.
    return c.body(new Uint8Array(file.body), 200, { 'content-type': file.type, 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff' });
  });
  app.get('/favicon.ico', (c) => c.body(null, 204));
}
