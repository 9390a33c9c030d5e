export * from './db.ts';
export * from './events.ts';
export * from './migrate.ts';
export * from './challenge-dir.ts';
export * from './submissions/index.ts';
export * from './blobs/index.ts';
export * from './maintenance.ts';
export * from './write-rate.ts';
