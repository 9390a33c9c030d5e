export * from './client.ts';
export * from './digest.ts';
