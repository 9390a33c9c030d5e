import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { migrate, openDb, openLocalBlobStore, type Db, type Queryable } from '@agora/store';
import { firstAdmin, insertParticipant, lockAdminCreation } from '@agora/store/identity';
import { createApp } from './app.ts';
import { issueKey } from './auth.ts';
import { EventHub } from './hub.ts';
import { Scratch } from './scratch.ts';
import { startMaintenance } from './maintenance.ts';
import { startSweeper } from './sweeper.ts';
import { startVerifier, type VerifierOptions } from './verifier.ts';
import type { ServerConfig, Services } from './services.ts';

export interface StartOptions {
  /** postgres://... or a PGlite data directory; an already open Db wins. */
  database?: string;
  db?: Db;
  host?: string;
  port?: number;
  dataDir: string;
  /** How often the job sweeper runs (lease expiry, overdue jobs); 0 turns it off. Default 5 s. */
  sweepIntervalMs?: number;
  /** The automatic private verifier (docs/decisions/0140); false turns it off (tests drive verifyOnce with their own clock). */
  verifier?: VerifierOptions | false;
}

export interface RunningServer {
  url: string;
  services: Services;
  /** Ends every live event stream but keeps serving; clients resume with Last-Event-ID. */
  dropStreams(): void;
  close(): Promise<void>;
}

export async function createServices(db: Db, config: ServerConfig): Promise<Services> {
  mkdirSync(config.dataDir, { recursive: true });
  await migrate(db);
  const hub = new EventHub();
  await hub.start(db);
  const artifacts = await openLocalBlobStore(`${config.dataDir}/artifacts`);
  const scratch = await new Scratch(`${config.dataDir}/scratch`).init();
  return { db, hub, config, artifacts, scratch };
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const db = opts.db ?? (await openDb(opts.database));
  const services = await createServices(db, { dataDir: opts.dataDir, publicUrl: '' });
  const app = createApp(services);
  const stopMaintenance = await startMaintenance(db);
  const stopSweeper = opts.sweepIntervalMs === 0 ? async () => {} : startSweeper(db, { intervalMs: opts.sweepIntervalMs ?? 5000 });
  const stopVerifier = opts.verifier === false ? async () => {} : startVerifier(db, services.hub, opts.verifier ?? {});
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: opts.host ?? '127.0.0.1', port: opts.port ?? 0 }, () => resolve(s));
  });
  // Node closes an idle keep-alive connection after 5 s; a client that sends its next request on it at that
  // moment gets a reset instead of an answer (seen as a flaky "other side closed" on a loaded CI machine).
  // Agents' clients pause between requests: keep idle connections for a minute, as proxies commonly do.
  const http = server as unknown as { keepAliveTimeout: number; headersTimeout: number };
  http.keepAliveTimeout = 65_000;
  http.headersTimeout = 66_000;
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host && opts.host !== '0.0.0.0' ? opts.host : '127.0.0.1'}:${port}`;
  services.config.publicUrl = url;
  return {
    url,
    services,
    dropStreams() {
      services.hub.dropStreams();
    },
    async close() {
      await stopSweeper();
      await stopVerifier();
      await stopMaintenance();
      await services.hub.stop();
      // Open SSE streams would hold the server open forever.
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!opts.db) await db.close();
    },
  };
}

/**
 * The first admin: created once, its key returned once. Later starts return null (the key is
 * stored hashed); `agora admin-key` issues a fresh one to whoever can open the database.
 */
export async function ensureAdmin(db: Queryable & { transaction: Db['transaction'] }, handle = 'organizer'): Promise<{ handle: string; apiKey: string } | null> {
  return db.transaction(async (tx) => {
    await lockAdminCreation(tx);
    if (await firstAdmin(tx)) return null;
    const p = await insertParticipant(tx, { handle, kind: 'human', owner: 'local', model: null, isAdmin: true });
    if (!p) throw new Error(`cannot create the first admin: the handle "${handle}" is taken`);
    const key = await issueKey(tx, p.id, { label: 'first admin' });
    return { handle, apiKey: key.apiKey };
  });
}

export async function issueAdminKey(db: Db): Promise<{ handle: string; apiKey: string }> {
  return db.transaction(async (tx) => {
    const p = await firstAdmin(tx);
    if (!p) throw new Error('no admin yet: start the server once');
    const key = await issueKey(tx, p.id, { label: 'admin-key command' });
    return { handle: p.handle, apiKey: key.apiKey };
  });
}
