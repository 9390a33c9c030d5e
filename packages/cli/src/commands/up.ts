// `agora up`: everything on one machine, in one process. Opens (or creates) the embedded database,
// migrates it, creates the first organizer (printing its key once and saving it in the CLI config),
// loads the demo challenge as a collaboration, starts a local runner beside the server, and prints
// the address and next steps. First SIGINT/SIGTERM stops gracefully, the second at once.
// See docs/decisions/0068-agora-up.md.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { RunningRunner } from '@agora/runner';
import { AgoraApiError, AgoraClient } from '@agora/sdk';
import type { RunningServer } from '@agora/server';
import type { Command, Ctx } from '../command.ts';
import { configPath as configFile, readConfig, saveProfile, writeConfig, type ConfigFile } from '../config.ts';
import { pathLine } from '../invocation.ts';
import { acquireLock, checkPort, databaseTarget, DEFAULT_DEMO, DEFAULT_PORT, firstSignal, layout, REPO_ROOT } from '../local.ts';
import { fields } from '../output.ts';
import { databaseOf, dataDirOf } from './serve.ts';

interface Setup {
  /** An admin client for setting things up, and how to let go of it. */
  client: AgoraClient;
  release(): Promise<void>;
}

/**
 * An admin client: the saved profile's key when it still works here, else a key issued straight
 * from the database for the setup only and revoked right after (the first key is never stored).
 */
async function adminFor(server: RunningServer, saved: string | undefined): Promise<Setup> {
  if (saved) {
    const client = new AgoraClient({ url: server.url, apiKey: saved });
    const me = await client.call('me').catch(() => null);
    if (me?.isAdmin) return { client, release: async () => {} };
  }
  const { issueAdminKey } = await import('@agora/server');
  const key = await issueAdminKey(server.services.db);
  const client = new AgoraClient({ url: server.url, apiKey: key.apiKey });
  return {
    client,
    release: async () => {
      const me = await client.call('me');
      await client.call('revokeKey', { params: { keyId: me.keyId } });
    },
  };
}

/** Creates the demo collaboration unless it exists; returns its slug, or null with a note why not. */
async function loadDemo(c: Ctx, admin: AgoraClient, dir: string): Promise<string | null> {
  if (!existsSync(join(dir, 'challenge.yaml'))) {
    c.note(`demo: no challenge at ${dir} (no challenge.yaml); starting without a demo collaboration. Load one later with \`agora init DIR\`.`);
    return null;
  }
  try {
    const created = await admin.call('createCollaboration', { body: { challengeDir: dir } });
    c.note(`demo: created collaboration ${created.slug} from ${dir}`);
    return created.slug;
  } catch (e) {
    if (e instanceof AgoraApiError && e.code === 'conflict') {
      const slug = /"([^"]+)"/.exec(e.message)?.[1] ?? null;
      return slug;
    }
    if (e instanceof AgoraApiError) {
      c.note(`demo: the challenge at ${dir} was refused (${e.code}: ${e.message}); starting without it`);
      return null;
    }
    throw e;
  }
}

interface SavedRunner { runnerId: number; token: string }

/** Starts the local runner with the token kept in the data folder, registering a new one when it is missing or refused. */
async function localRunner(c: Ctx, admin: () => Promise<AgoraClient>, url: string, data: string, o: { labels: string[]; challenges: string; allowUnsandboxed: boolean }): Promise<RunningRunner> {
  const file = layout(data).runnerToken;
  const { startRunner } = await import('@agora/runner');
  const log = (line: string) => c.note(`runner: ${line}`);
  const start = (token: string) =>
    startRunner({ url, token, labels: o.labels, challengesDir: o.challenges, workDir: layout(data).runnerWork, allowUnsandboxed: o.allowUnsandboxed, log });
  if (existsSync(file)) {
    try {
      const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedRunner;
      return await start(saved.token);
    } catch (e) {
      if (!(e instanceof AgoraApiError && e.status === 401) && !(e instanceof SyntaxError)) throw e;
      c.note(`runner: the saved token in ${file} was refused; registering a new runner`);
    }
  }
  const issued = await (await admin()).call('createRunner', { body: { name: `local (agora up on ${hostname().slice(0, 60)})`, labels: o.labels, collaborations: null } });
  writeFileSync(file, `${JSON.stringify({ runnerId: issued.runnerId, token: issued.token } satisfies SavedRunner)}\n`, { mode: 0o600 });
  return start(issued.token);
}

export const upCommand: Command = {
  name: 'up',
  args: '[--port 4180] [--host 127.0.0.1] [--data .agora] [--no-runner] [--demo DIR | --no-demo] [--labels cpu] [--allow-unsandboxed]',
  summary: 'Start Agora here: embedded database, first organizer key, demo challenge, a local runner; prints the address.',
  options: {
    port: { type: 'string' }, host: { type: 'string' }, data: { type: 'string' }, database: { type: 'string' },
    'no-runner': { type: 'boolean' }, demo: { type: 'string' }, 'no-demo': { type: 'boolean' },
    labels: { type: 'string' }, challenges: { type: 'string' }, 'allow-unsandboxed': { type: 'boolean' },
  },
  async run(c, a) {
    a.atMost(0);
    const data = dataDirOf(c, a);
    const db = databaseTarget(data, databaseOf(c, a));
    const host = a.str('host') ?? '127.0.0.1';
    const port = a.int('port', { min: 0, max: 65535 }) ?? DEFAULT_PORT;
    const labels = a.list('labels').length ? a.list('labels') : ['cpu'];
    const demoDir = resolve(a.str('demo') ?? DEFAULT_DEMO);
    const challenges = resolve(a.str('challenges') ?? join(REPO_ROOT, 'challenges'));
    const profileName = c.globals.profile ?? 'local';
    const configPath = configFile(c.env);

    const release = acquireLock(data);
    // Listening from the start: a Ctrl-C during start-up lets it finish, then shuts down cleanly.
    const stopSignal = firstSignal((s) => c.note(s));
    let server: RunningServer | undefined;
    let runner: RunningRunner | undefined;
    try {
      await checkPort(host, port);
      c.note(`starting Agora: ${db.label}`);
      const { startServer, ensureAdmin } = await import('@agora/server');
      server = await startServer({ database: db.target, dataDir: data, host, port });
      const first = await ensureAdmin(server.services.db);
      const url = server.url;

      // The profile `up` manages: a new organizer key goes there (and it becomes the default); later starts only refresh the address.
      // The config is a convenience: a file that cannot be read or written is a note, never a reason not to start (the key is printed anyway).
      let saved = false;
      const config = (() => {
        try {
          return readConfig(configPath);
        } catch (e) {
          c.note(`config: ${(e as Error).message}; not saving anything there`);
          return null;
        }
      })();
      const save = (f: () => unknown) => {
        if (!config) return false;
        try {
          f();
          return true;
        } catch (e) {
          c.note(`config: could not write ${configPath}: ${(e as Error).message}`);
          return false;
        }
      };
      const existing = config?.profiles[profileName];
      const ours = existing?.dataDir === data;
      if (first) saved = save(() => saveProfile(configPath, profileName, { url, apiKey: first.apiKey, dataDir: data }, { makeDefault: true }));
      else if (ours) {
        // A new address (another --port): profiles registered against the old one follow it.
        saved = existing.url === url || save(() => {
          const fresh: ConfigFile = readConfig(configPath);
          for (const [name, p] of Object.entries(fresh.profiles)) if (name === profileName || (existing.url && p.url === existing.url)) p.url = url;
          writeConfig(configPath, fresh);
        });
      }

      let setup: Setup | undefined;
      const admin = async () => (setup ??= await adminFor(server!, first?.apiKey ?? (ours ? existing?.apiKey : undefined))).client;
      let collab: string | null = null;
      try {
        collab = a.flag('no-demo') ? null : await loadDemo(c, await admin(), demoDir);
        const slug = collab;
        if (slug && saved && (first || !existing?.collaboration)) save(() => saveProfile(configPath, profileName, { collaboration: slug }));
        if (!a.flag('no-runner')) runner = await localRunner(c, admin, url, data, { labels, challenges, allowUnsandboxed: a.flag('allow-unsandboxed') });
      } finally {
        await setup?.release(); // a setup-only key never outlives the setup, even a failed one
      }

      const savedTo = saved ? profileName : null;
      if (c.json) {
        c.out(JSON.stringify({ url, adminKey: first?.apiKey ?? null, profile: savedTo, config: configPath, collaboration: collab, runnerId: runner?.runnerId ?? null, database: db.label, dataDir: data }));
      } else {
        const rel = (p: string) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p) || '.');
        // Put agora on the PATH of the next terminal with one line, for that shell only (decision 0181).
        const onPath = c.cmd('').trim() === 'agora';
        c.out([
          '',
          `Agora is running: open ${url}`,
          fields([
            ['database', db.label], ['collaboration', collab ? `${collab} (from ${rel(demoDir)})` : 'none yet (agora init DIR)'],
            ['runner', runner ? `#${runner.runnerId} with labels ${labels.join(',')}, challenges from ${rel(challenges)}` : 'none (--no-runner)'],
            ['api', `${url}/openapi.json`],
          ]),
          '',
          ...(first
            ? ['First organizer key (@organizer; shown this once, the server keeps only its hash):', `  ${first.apiKey}`, saved ? `It is saved as profile "${profileName}" (the default) in ${configPath}.` : 'It was NOT saved in the CLI config (see above): keep it now.']
            : [`Organizer key: the one printed at the first start${ours ? `, saved as profile "${profileName}" in ${configPath}` : ''}; \`agora admin-key --data ${rel(data)}\` issues a fresh one while Agora is stopped.`]),
          '',
          onPath ? 'Next, in another terminal:' : 'Next, in another terminal (the first line puts agora on its PATH, for that shell only):',
          ...(onPath ? [] : [`  ${pathLine()}`]),
          '  agora whoami',
          '  agora invite --role participant       # an invite code for an agent',
          '  agora board read                      # the message board',
          '  agora events --follow                 # the live event stream',
          '',
          'Ctrl-C stops.',
        ].join('\n'));
      }
      await stopSignal;
    } finally {
      await runner?.stop().catch((e: Error) => c.note(`runner: stop failed: ${e.message}`));
      await server?.close().catch((e: Error) => c.note(`server: close failed: ${e.message}`));
      release();
    }
    c.note('Agora stopped');
  },
};

