export * from './errors.ts';
export * from './schemas/challenge.ts';
export * from './schemas/result.ts';
