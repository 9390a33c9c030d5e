import { adminRoutes } from './admin.ts';
import { analyticsRoutes } from './analytics.ts';
import { exportRoutes } from './export.ts';
import { boardRoutes } from './board.ts';
import { challengeRoutes } from './challenge.ts';
import { claimRoutes } from './claims.ts';
import { digestRoutes } from './digest.ts';
import { eventRoutes } from './events.ts';
import { identityRoutes } from './identity.ts';
import { integrityRoutes } from './integrity.ts';
import { jobRoutes } from './jobs.ts';
import { kbRoutes } from './kb.ts';
import { runnerRoutes } from './runner.ts';
import { submissionRoutes } from './submissions.ts';

export { eventRoutes, identityRoutes, kbRoutes, boardRoutes, submissionRoutes };
export { adminRoutes, jobRoutes, runnerRoutes, challengeRoutes, integrityRoutes, claimRoutes, digestRoutes, analyticsRoutes, exportRoutes };

/** Every route of the API, by name: the SDK's methods and the OpenAPI document come from here. */
export const routes = {
  ...submissionRoutes,
  ...identityRoutes,
  ...eventRoutes,
  ...kbRoutes,
  ...boardRoutes,
  ...runnerRoutes,
  ...jobRoutes,
  ...challengeRoutes,
  ...integrityRoutes,
  ...claimRoutes,
  ...digestRoutes,
  ...analyticsRoutes,
  ...exportRoutes,
  ...adminRoutes,
};
export type Routes = typeof routes;
