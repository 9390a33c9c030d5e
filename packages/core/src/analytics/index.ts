export * from './input.ts';
export * from './graph.ts';
export * from './measures.ts';
export * from './timeline.ts';
