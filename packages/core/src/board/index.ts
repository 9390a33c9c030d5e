export * from './references.ts';
export * from './render.ts';
export * from './links.ts';
export * from './rate-limit.ts';
export * from './permissions.ts';
