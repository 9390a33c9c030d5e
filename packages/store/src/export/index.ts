export * from './tables.ts';
export * from './read.ts';
export * from './write.ts';
