export * from './format.ts';
export * from './export.ts';
export * from './restore.ts';
export * from './archive.ts';
