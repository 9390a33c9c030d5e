export * from './seed.ts';
export * from './pages.ts';
