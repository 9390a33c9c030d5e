export * from './permissions.ts';
export * from './reach.ts';
export * from './frontier.ts';
export * from './schedule.ts';
export * from './announce.ts';
export * from './audit.ts';
export * from './verification-plan.ts';
