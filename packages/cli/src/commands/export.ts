// `agora export` (the collaboration's record as JSON Lines and CSV tables, through the API) and
// `agora import` (those tables into a fresh database, opened directly). Format: docs/export.md.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExportManifest, EXPORT_FORMAT, EXPORT_VERSION, toCsv, toJsonLines } from '@agora/core';
import { CliError, UsageError, type Command } from '../command.ts';
import { databaseTarget } from '../local.ts';
import { fields } from '../output.ts';
import { dataDirOf, databaseOf } from './serve.ts';

export const exportCommands: Command[] = [
  {
    name: 'export',
    args: '--out DIR [--private] [--pseudonymise]',
    summary: 'Write the collaboration\'s public record (posts, pages, submissions, lineage, results, rulings, events) as JSON Lines and CSV; --private (organizers) adds private data, marked.',
    options: { out: { type: 'string' }, private: { type: 'boolean' }, pseudonymise: { type: 'boolean' } },
    async run(c, a) {
      a.atMost(0);
      const out = resolve(a.need('out', '--out DIR'));
      const res = await c.client().call('exportCollaboration', { params: { collab: c.collab() }, query: { private: a.flag('private') ? 'true' : 'false', pseudonymise: a.flag('pseudonymise') ? 'true' : 'false' } });
      try {
        mkdirSync(out, { recursive: true });
        writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(res.manifest, null, 2)}\n`);
        for (const t of res.tables) {
          writeFileSync(join(out, `${t.name}.jsonl`), toJsonLines(t.rows));
          writeFileSync(join(out, `${t.name}.csv`), toCsv(t.columns, t.rows));
        }
      } catch (e) {
        throw new CliError('file', `cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const m = res.manifest;
      c.print(m, () => fields([
        ['export', `${m.collaboration} to ${out} (format ${m.format} v${m.version})`],
        ['tables', m.tables.map((t) => `${t.name} ${t.rows}${t.private ? ' (private)' : ''}`).join(', ')],
        ['private', m.private ? 'yes: flags, private splits, hidden text included' : 'no'],
        ['pseudonymised', m.pseudonymised ? 'yes (does not import as the original)' : 'no'],
      ]));
    },
  },
  {
    name: 'import',
    args: 'DIR [--data DIR | --database URL]',
    summary: 'Rebuild a collaboration from an export in a database without it (ids, times and text kept); then `agora admin-key` for a key.',
    options: { database: { type: 'string' }, data: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const dir = resolve(a.pos(0, 'DIR (an `agora export` folder)'));
      let manifest: ExportManifest;
      try {
        manifest = ExportManifest.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
      } catch (e) {
        throw new CliError('not_an_export', `${dir} has no readable manifest.json of an ${EXPORT_FORMAT}: ${(e as Error).message.slice(0, 200)}`);
      }
      if (manifest.version !== EXPORT_VERSION) throw new CliError('export_version', `the export is version ${manifest.version}; this Agora reads version ${EXPORT_VERSION}`);
      if (manifest.pseudonymised) throw new UsageError('a pseudonymised export is for analysis, not for rebuilding the collaboration');
      const files = new Set(readdirSync(dir));
      const tables = manifest.tables.map((t) => {
        if (!files.has(`${t.name}.jsonl`)) throw new CliError('not_an_export', `${t.name}.jsonl is missing from ${dir}`);
        const rows = readFileSync(join(dir, `${t.name}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
        if (rows.length !== t.rows) throw new CliError('not_an_export', `${t.name}.jsonl has ${rows.length} rows, the manifest says ${t.rows}`);
        return { name: t.name, rows };
      });
      const db = databaseTarget(dataDirOf(c, a), databaseOf(c, a));
      const { openDb, migrate } = await import('@agora/store');
      const { writeExportTables } = await import('@agora/store/export');
      const handle = await openDb(db.target);
      try {
        await migrate(handle);
        await writeExportTables(handle, tables).catch((e: Error) => {
          throw new CliError('import_failed', `nothing was written: ${e.message} (import into a database without this collaboration and its participants)`);
        });
      } finally {
        await handle.close();
      }
      c.print({ collaboration: manifest.collaboration, tables: manifest.tables }, () => `imported ${manifest.collaboration} into ${db.label}: ${manifest.tables.map((t) => `${t.name} ${t.rows}`).join(', ')}`);
    },
  },
];
