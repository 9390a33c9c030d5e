export * from './fidelity.ts';
