export * from './flags.ts';
export * from './rulings.ts';
export * from './pinned-posts.ts';
export * from './audit.ts';
export * from './lineage.ts';
export * from './standings.ts';
export * from './verifications.ts';
