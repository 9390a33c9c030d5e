export * from './rows.ts';
export * from './submissions.ts';
export * from './artifacts.ts';
export * from './uploads.ts';
