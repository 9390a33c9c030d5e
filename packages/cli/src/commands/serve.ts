// `agora serve` (the server only) and `agora admin-key` (a fresh admin key, straight from the database).

import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, type Args, type Command, type Ctx } from '../command.ts';
import { saveProfile } from '../config.ts';
import { acquireLock, checkPort, databaseTarget, DEFAULT_PORT, firstSignal, lockHolder } from '../local.ts';
import { fields } from '../output.ts';
import { trySave } from './identity.ts';

export function dataDirOf(c: Ctx, a: Args): string {
  return resolve(a.str('data') ?? c.env.AGORA_DATA ?? '.agora');
}

export function databaseOf(c: Ctx, a: Args): string | undefined {
  return a.str('database') ?? c.env.AGORA_DATABASE_URL;
}

export const serverCommands: Command[] = [
  {
    name: 'serve',
    args: '[--database URL|DIR] [--data DIR] [--host H] [--port P]',
    summary: 'Run the server only (no runner, no demo). AGORA_DATABASE_URL=postgres://... selects PostgreSQL.',
    options: { database: { type: 'string' }, data: { type: 'string' }, host: { type: 'string' }, port: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const data = dataDirOf(c, a);
      const db = databaseTarget(data, databaseOf(c, a));
      const host = a.str('host') ?? '127.0.0.1';
      const port = a.int('port', { min: 0, max: 65535 }) ?? DEFAULT_PORT;
      const release = acquireLock(data);
      const stopSignal = firstSignal((s) => c.note(s));
      try {
        await checkPort(host, port);
        const { startServer, ensureAdmin } = await import('@agora/server');
        const server = await startServer({ database: db.target, dataDir: data, host, port });
        const admin = await ensureAdmin(server.services.db);
        const url = server.url;
        if (c.json) c.out(JSON.stringify({ url, database: db.label, dataDir: data, adminKey: admin?.apiKey ?? null }));
        else {
          c.out(`Agora server at ${url}\n${fields([['database', db.label], ['data', data], ['api', `${url}/openapi.json`]])}`);
          if (admin) c.out(`\nFirst organizer key (@${admin.handle}, shown once; save it):\n  ${admin.apiKey}\n\n  agora login --url ${url} < key-file   (or AGORA_URL=${url} AGORA_API_KEY=... agora whoami)`);
          c.out('Ctrl-C stops.');
        }
        await stopSignal;
        await server.close();
        c.note('stopped');
      } finally {
        release();
      }
    },
  },
  {
    name: 'admin-key',
    args: '[--data DIR | --database URL] [--save]',
    summary: 'Issue a fresh admin key by opening the database directly (the embedded one only while Agora is stopped).',
    options: { database: { type: 'string' }, data: { type: 'string' }, save: { type: 'boolean' } },
    async run(c, a) {
      a.atMost(0);
      const data = dataDirOf(c, a);
      const db = databaseTarget(data, databaseOf(c, a));
      const embedded = !/^postgres(ql)?:\/\//.test(db.target);
      let release = () => {};
      if (embedded) {
        if (!existsSync(join(db.target, 'PG_VERSION')))
          throw new CliError('no_database', `no database in ${db.target}: start Agora once (\`agora up\`), or name the folder with --data`);
        const holder = lockHolder(data);
        if (holder) throw new CliError('locked', `agora (pid ${holder}) has ${data} open; stop it first: an embedded database has one process at a time`);
        release = acquireLock(data);
      }
      try {
        const { hasAgoraSchema, openDb } = await import('@agora/store');
        const { issueAdminKey } = await import('@agora/server');
        const handle = await openDb(db.target);
        try {
          if (!(await hasAgoraSchema(handle))) throw new CliError('no_database', `no Agora database in ${db.label}: start Agora once (\`agora up\` or \`agora serve\`)`);
          const key = await issueAdminKey(handle).catch((e: Error) => {
            throw new CliError('no_admin', e.message);
          });
          if (a.flag('save')) {
            const r = c.resolved();
            if (trySave(c, () => saveProfile(r.path, r.profileName, { apiKey: key.apiKey, ...(embedded ? { dataDir: data } : {}) })))
              c.note(`saved in profile "${r.profileName}" of ${r.path}`);
          }
          c.print(key, () => `admin key for @${key.handle} (shown once):\n  ${key.apiKey}`);
        } finally {
          await handle.close();
        }
      } finally {
        release();
      }
    },
  },
];
