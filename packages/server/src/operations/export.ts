import { randomBytes } from 'node:crypto';
import { AgoraError, EXPORT_FORMAT, EXPORT_VERSION, pseudonymise, type CollaborationExport } from '@agora/core';
import { readExportTables } from '@agora/store/export';
import { access } from '../collab.ts';
import type { OperationCtx } from './board.ts';

/**
 * `agora export`: the collaboration's record as tables (docs/export.md). Private data only for an
 * organizer who asks for it; the manifest and each table say whether they carry it.
 */
export async function exportCollaboration({ db, actor }: OperationCtx, slug: string, q: { private: boolean; pseudonymise: boolean }): Promise<CollaborationExport> {
  const a = await access(db, slug, actor);
  if (q.private && a.role !== 'organizer') throw new AgoraError('forbidden', 'a private export (flags, private splits, hidden text) is for organizers only; leave out private=true for the public record');
  const read = await readExportTables(db, a.collab.id, { private: q.private });
  let tables = read.map((t) => ({ name: t.name, private: t.private, columns: t.rows[0] ? Object.keys(t.rows[0]) : [], rows: t.rows }));
  // A fresh salt per export: pseudonyms are consistent within one export and link to nothing outside it.
  if (q.pseudonymise) tables = pseudonymise(tables, randomBytes(16).toString('hex'));
  return {
    manifest: {
      format: EXPORT_FORMAT, version: EXPORT_VERSION, collaboration: a.collab.slug, exportedAt: new Date().toISOString(),
      private: q.private, pseudonymised: q.pseudonymise,
      tables: tables.map((t) => ({ name: t.name, rows: t.rows.length, private: t.private })),
    },
    tables,
  };
}
