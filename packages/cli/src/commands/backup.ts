// `agora backup` (a consistent snapshot of a running server, through its admin route) and
// `agora restore` (into an empty data folder or database, with the server stopped). Decision 0161.

import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CliError, type Command } from '../command.ts';
import { acquireLock, databaseTarget, lockHolder } from '../local.ts';
import { fields } from '../output.ts';
import { saveResponse } from './artifacts.ts';
import { databaseOf, dataDirOf } from './serve.ts';

const summary = (m: { tables: Array<{ rows: number }>; blobs: Array<{ size: number }> }) => ({
  tables: m.tables.length,
  rows: m.tables.reduce((n, t) => n + t.rows, 0),
  blobs: m.blobs.length,
  blobBytes: m.blobs.reduce((n, b) => n + b.size, 0),
});

export const backupCommands: Command[] = [
  {
    name: 'backup',
    args: '[--out FILE]',
    summary: 'Server admins: write a consistent snapshot of the running server (database and artifacts) to a file; `agora restore` brings it back.',
    options: { out: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const out = resolve(a.str('out') ?? `agora-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.tar.gz`);
      if (existsSync(out)) throw new CliError('file', `${out} exists already; pick another --out`);
      const client = c.client();
      // Written aside and renamed: a file named by --out is always a whole backup.
      const partial = `${out}.partial-${process.pid}`;
      const work = mkdtempSync(join(dirname(out), '.agora-backup-check-'));
      try {
        await saveResponse(await client.raw(client.path('backup').slice(client.url.length)), partial);
        const { readManifest, unpackBackup } = await import('@agora/store/backup');
        await unpackBackup(partial, work); // the archive reads back whole before it is called a backup
        const m = readManifest(work);
        renameSync(partial, out);
        const s = summary(m);
        c.print({ file: out, createdAt: m.createdAt, engine: m.engine, ...s }, () =>
          `backup written: ${out}\n${fields([['taken', m.createdAt], ['tables', `${s.tables} (${s.rows} rows)`], ['blobs', `${s.blobs} (${s.blobBytes} bytes)`]])}`);
      } finally {
        rmSync(partial, { force: true });
        rmSync(work, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'restore',
    args: '<file> [--data DIR] [--database URL|DIR]',
    summary: 'Restore a backup into an empty data folder (PGlite) or an empty PostgreSQL database (AGORA_DATABASE_URL), with Agora stopped.',
    options: { data: { type: 'string' }, database: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const file = resolve(a.pos(0, '<file>'));
      if (!existsSync(file)) throw new CliError('file', `no file ${file}`);
      const data = dataDirOf(c, a);
      const db = databaseTarget(data, databaseOf(c, a));
      const holder = lockHolder(data);
      if (holder) throw new CliError('locked', `agora (pid ${holder}) is using ${data}; stop it first`);
      const embedded = !/^postgres(ql)?:\/\//.test(db.target);
      if (embedded && existsSync(join(db.target, 'PG_VERSION'))) throw new CliError('not_empty', `${db.target} holds a database already; restore into a new --data folder`);
      const release = acquireLock(data);
      const work = mkdtempSync(join(data, '.restore-'));
      try {
        const { openDb, openLocalBlobStore } = await import('@agora/store');
        const { restoreBackup, unpackBackup } = await import('@agora/store/backup');
        await unpackBackup(file, work);
        const handle = await openDb(db.target);
        try {
          const blobs = await openLocalBlobStore(join(data, 'artifacts'));
          const m = await restoreBackup(work, handle, blobs, (line) => c.note(line)).catch((e: Error) => {
            throw new CliError('restore_failed', e.message);
          });
          const s = summary(m);
          c.print({ database: db.label, dataDir: data, createdAt: m.createdAt, ...s }, () =>
            `restored the backup of ${m.createdAt}\n${fields([['database', db.label], ['data', data], ['tables', `${s.tables} (${s.rows} rows)`], ['blobs', String(s.blobs)]])}\n\nStart it with: agora serve --data ${data}${embedded ? '' : ' --database URL'}`);
        } finally {
          await handle.close();
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
        release();
      }
    },
  },
];
