export * from './diff.ts';
export * from './slug.ts';
