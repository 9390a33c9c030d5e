import { eventRoutes } from './events.ts';
import { identityRoutes } from './identity.ts';
import { runnerRoutes } from './runner.ts';

export { eventRoutes, identityRoutes };

/** Every route of the API, by name: the SDK's methods and the OpenAPI document come from here. */
export const routes = {
  ...identityRoutes,
  ...eventRoutes,
  ...runnerRoutes,
};
export type Routes = typeof routes;
