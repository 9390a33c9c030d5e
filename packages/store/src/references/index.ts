export * from './targets.ts';
export * from './edges.ts';
