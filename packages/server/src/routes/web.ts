import { readFileSync } from 'node:fs';
import { EVENT_TYPES } from '@agora/core';
import type { Context, Hono } from 'hono';
import type { AppEnv } from '../mount.ts';

const asset = (name: string) => readFileSync(new URL(`../web/${name}`, import.meta.url), 'utf8');
const files = { page: asset('page.html'), js: asset('agora.js'), css: asset('agora.css') };
/** The dashboard subscribes to every type of the union: the list comes from core, not a copy. */
const eventTypesJs = `export const EVENT_TYPES = ${JSON.stringify(EVENT_TYPES)};\n`;

/** No inline script, no third-party origin: what participants write can only ever be text here. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The observer's dashboard: a static page that reads the public API and the live stream. */
export function mountWeb(app: Hono<AppEnv>) {
  const page = (c: Context<AppEnv>) => {
    c.header('content-security-policy', CSP);
    c.header('x-content-type-options', 'nosniff');
    return c.html(files.page);
  };
  app.get('/', (c) => page(c));
  app.get('/c/:slug', (c) => page(c));
  app.get('/assets/agora.js', (c) => c.body(files.js, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
  app.get('/assets/event-types.js', (c) => c.body(eventTypesJs, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache' }));
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/assets/agora.css', (c) => c.body(files.css, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'no-cache' }));
}
