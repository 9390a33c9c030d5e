/**
 * The significance rules validated by simulation (docs/decisions/0105-significance.md):
 *
 *   node scripts/significance-simulation.ts [--sample-sd 0.05] [--job-sd 0.05] [--jobs 3] [--repeats 3] [--trials 1000] [--seed 11]
 *
 * Prints, as JSON: the false "better" rate of compare over simulated ties, the minimum detectable
 * ratio at this noise, power at twice it, and how often one noisy entry leaves every tier unchanged.
 */
import { parseArgs } from 'node:util';
import { simulationReport } from '../packages/core/src/stats/simulate.ts';

const { values } = parseArgs({
  options: {
    'sample-sd': { type: 'string', default: '0.05' }, 'job-sd': { type: 'string', default: '0.05' },
    jobs: { type: 'string', default: '3' }, repeats: { type: 'string', default: '3' },
    trials: { type: 'string', default: '1000' }, seed: { type: 'string', default: '11' }, confidence: { type: 'string', default: '0.95' },
  },
});
const model = { sampleSd: Number(values['sample-sd']), jobSd: Number(values['job-sd']), jobs: Number(values.jobs), repeats: Number(values.repeats) };
console.log(JSON.stringify(simulationReport(model, Number(values.trials), Number(values.seed), Number(values.confidence)), null, 1));
