// What `agora up`, `agora serve` and `agora admin-key` share: the data folder's layout, a lock so
// that two processes never open the same embedded database, a port check that fails with a clear
// message, and graceful shutdown on the first signal (forced on the second).
// See docs/decisions/0068-agora-up.md.

import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { CliError } from './command.ts';
import { REPO_ROOT } from './invocation.ts';

/** The repository root (defined in invocation.ts). */
export { REPO_ROOT };
export const DEFAULT_DEMO = join(REPO_ROOT, 'challenges', 'tiny-lm');
export const DEFAULT_PORT = 4180;

/** <data>/pglite the embedded database, <data>/artifacts blobs, <data>/runner job folders. */
export const layout = (data: string) => ({
  data,
  pglite: join(data, 'pglite'),
  runnerWork: join(data, 'runner'),
  runnerToken: join(data, 'runner-token.json'),
  lock: join(data, 'agora.pid'),
});

/** postgres://... stays as is; anything else is the PGlite folder under the data folder. */
export function databaseTarget(data: string, database: string | undefined): { target: string; label: string } {
  if (database && /^postgres(ql)?:\/\//.test(database)) return { target: database, label: `PostgreSQL at ${redactUrl(database)}` };
  const dir = database ? resolve(database) : layout(data).pglite;
  return { target: dir, label: `PGlite (embedded) in ${dir}` };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable url)';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of a live process holding the data folder, or null. */
export function lockHolder(data: string): number | null {
  const file = layout(data).lock;
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : null;
}

/**
 * Takes the data folder for this process: an embedded database must never be opened by two
 * processes at once. A lock left by a dead process is taken over.
 */
export function acquireLock(data: string): () => void {
  mkdirSync(data, { recursive: true, mode: 0o700 });
  const file = layout(data).lock;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (existsSync(file) && readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = lockHolder(data);
      if (holder) throw new CliError('locked', `another agora process (pid ${holder}) is using ${data}; stop it first (or use another --data folder)`);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new CliError('locked', `could not lock ${data}`);
}

/** Fails early, with a message, when the port is taken (the HTTP server would throw an unhandled error). */
export async function checkPort(host: string, port: number): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolvePort, reject) => {
    const s = createServer();
    s.once('error', (e: NodeJS.ErrnoException) =>
      reject(new CliError('port_in_use', e.code === 'EADDRINUSE' ? `port ${port} on ${host} is in use; pick another with --port` : `cannot listen on ${host}:${port}: ${e.message}`)));
    s.listen(port, host, () => s.close(() => resolvePort()));
  });
}

/**
 * Resolves with the name of the first SIGINT/SIGTERM; a second one exits at once with code 130
 * (the handlers stay installed until the process ends, so shutdown itself can be interrupted).
 */
export function firstSignal(note: (s: string) => void): Promise<string> {
  let count = 0;
  return new Promise<string>((resolveSignal) => {
    const handler = (sig: NodeJS.Signals) => {
      count++;
      if (count === 1) {
        note(`${sig}: shutting down (again to force)`);
        resolveSignal(sig);
      } else {
        note(`${sig} again: exiting now`);
        process.exit(130);
      }
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}
