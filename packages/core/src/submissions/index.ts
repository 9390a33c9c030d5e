export * from './paths.ts';
export * from './fingerprint.ts';
export * from './diff.ts';
export * from './similarity.ts';
export * from './checks.ts';
