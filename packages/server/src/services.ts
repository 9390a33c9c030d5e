import type { Db } from '@agora/store';
import type { EventHub } from './hub.ts';

/** What route handlers may use. Built once by createServices and shared by every request. */
export interface Services {
  db: Db;
  hub: EventHub;
  config: ServerConfig;
}

export interface ServerConfig {
  /** Where uploaded bundles and artifacts live (content-addressed). */
  dataDir: string;
  /** Base URL printed in links; informative only. */
  publicUrl: string;
}
