export * from './diff.ts';
export * from './slug.ts';
export * from './revision-diff.ts';
export * from './body.ts';
