export * from './app.ts';
export * from './server.ts';
export type { Services, ServerConfig } from './services.ts';
export type { Actor } from './auth.ts';
export { verifyOnce } from './verifier.ts';
