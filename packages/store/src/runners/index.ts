export * from './runners.ts';
