export * from './blob-store.ts';
export * from './local.ts';
