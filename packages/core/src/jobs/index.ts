export * from './lifecycle.ts';
export * from './quota.ts';
export * from './fair-queue.ts';
export * from './estimate.ts';
export * from './hardware.ts';
export * from '../stats/stats.ts';
export * from '../stats/leaderboard.ts';
