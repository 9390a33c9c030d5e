import { z } from 'zod';
import { route } from './route.ts';

/** Server operations for admins (decision 0161). */
export const adminRoutes = {
  backup: route({
    method: 'get', path: '/v1/admin/backup', tag: 'admin', auth: 'required',
    summary: 'Server admins: a consistent snapshot of the whole server (every table from one repeatable-read transaction, every blob the database refers to) as an Agora backup archive (application/gzip tar, format in docs/decisions/0161). `agora backup` writes it to a file; `agora restore` brings it back into an empty data folder or database.',
    rawResponse: 'application/gzip',
    response: z.unknown(),
  }),
};
