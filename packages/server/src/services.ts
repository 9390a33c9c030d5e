import type { Db } from '@agora/store';
import type { BlobStore } from '@agora/store';
import type { EventHub } from './hub.ts';
import type { Scratch } from './scratch.ts';

/** What route handlers may use. Built once by createServices and shared by every request. */
export interface Services {
  db: Db;
  hub: EventHub;
  /** Content-addressed bundles, their files and large artifacts (a local directory under dataDir/artifacts). */
  artifacts: BlobStore;
  /** Private scratch folders for unpacking and packing bundles (dataDir/scratch). */
  scratch: Scratch;
  config: ServerConfig;
}

export interface ServerConfig {
  /** Where uploaded bundles and artifacts live (content-addressed). */
  dataDir: string;
  /** Base URL printed in links; informative only. */
  publicUrl: string;
}
