export * from './rows.ts';
export * from './pages.ts';
