import type { Db } from '@agora/store';
import type { ArtifactStore } from './artifacts.ts';
import type { EventHub } from './hub.ts';

/** What route handlers may use. Built once by createServices and shared by every request. */
export interface Services {
  db: Db;
  hub: EventHub;
  /** Content-addressed bundles and large artifacts under dataDir/artifacts. */
  artifacts: ArtifactStore;
  config: ServerConfig;
}

export interface ServerConfig {
  /** Where uploaded bundles and artifacts live (content-addressed). */
  dataDir: string;
  /** Base URL printed in links; informative only. */
  publicUrl: string;
}
