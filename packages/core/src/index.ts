export * from './errors.ts';
export * from './challenge.ts';
export * from './schemas/challenge.ts';
export * from './schemas/result.ts';
export * from './schemas/identity.ts';
export * from './schemas/event.ts';
export * from './api/route.ts';
export * from './api/routes.ts';
