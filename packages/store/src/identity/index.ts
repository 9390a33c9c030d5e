export * from './rows.ts';
export * from './collaborations.ts';
