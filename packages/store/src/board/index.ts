export * from './rows.ts';
export * from './posts.ts';
export * from './revisions.ts';
export * from './read-cursors.ts';
export * from './new-for-me.ts';
export * from './seed.ts';
