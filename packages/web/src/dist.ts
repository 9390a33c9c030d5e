import { fileURLToPath } from 'node:url';

/** Where the dashboard's sources and its Vite build live; the server serves `distDir`. */
export const webRoot = fileURLToPath(new URL('..', import.meta.url));
export const distDir = fileURLToPath(new URL('../dist/', import.meta.url));
