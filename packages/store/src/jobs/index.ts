export * from './rows.ts';
export * from './jobs.ts';
export * from './quota.ts';
export * from './logs.ts';
export * from './results.ts';
export * from './queue.ts';
export * from './sweep.ts';
