export { simulate, type SimulateOptions, type SimulationReport } from './simulate.ts';
export type { GroundTruth, PlantedLoophole, PlantedRelay, Refusal, SponsoredRun } from './truth.ts';
export { Random } from './random.ts';
export { scoreAnalytics, type Match } from './score.ts';
