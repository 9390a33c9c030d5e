export { startRunner, unsandboxedBanner, type RunnerOptions, type RunningRunner } from './runner.ts';
export { exportJob, runOffline, uploadOffline, readJobFile, type OfflineJobFile } from './offline.ts';
export { runnerMain } from './cli.ts';
export { executeJob, harnessWallSeconds, NO_SANDBOX_REASON } from './job.ts';
export { hostFingerprint, jobEnvironment } from './environment.ts';
export { extractBundle, BadBundleError } from './bundle.ts';
