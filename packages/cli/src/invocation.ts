// How the user runs `agora`, so every hint the CLI prints names a command they can paste
// (issue 14, stumble 5; docs/decisions/0181). A hint saying `agora jobs run 1` was wrong for
// anyone who had typed `npm run agora -- ...`: `agora` was not on their PATH.

import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/cli/src/invocation.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The launcher at the root of the repository (a link to packages/cli/bin/agora). */
export const ROOT_LAUNCHER = join(REPO_ROOT, 'agora');
const BIN = join(REPO_ROOT, 'packages/cli/bin/agora');

const real = (p: string) => {
  try {
    return realpathSync(p);
  } catch {
    return null;
  }
};

/** The `agora` the shell finds on PATH, when it is this repository's launcher. */
function onPath(env: NodeJS.ProcessEnv): boolean {
  const mine = real(BIN);
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    // npm puts node_modules/.bin on the PATH of the scripts it runs, not on the user's shell's.
    if (!dir || /node_modules[\\/]\.bin[\\/]?$/.test(dir)) continue;
    const p = join(dir, 'agora');
    try {
      accessSync(p, constants.X_OK);
    } catch {
      continue;
    }
    // The first agora on PATH is what the shell runs: ours or someone else's.
    return real(p) === mine;
  }
  return false;
}

/**
 * The words to start a hint with: `agora` when this repository's launcher is on PATH;
 * `npm run agora --` when that is how it was run; otherwise the root launcher as a path from
 * where the user typed (`./agora`), which works without changing anything on the machine.
 */
export function agoraCommand(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (onPath(env)) return 'agora';
  if (env.npm_lifecycle_event === 'agora') return 'npm run agora --';
  const from = env.INIT_CWD ?? cwd;
  const rel = relative(from, ROOT_LAUNCHER);
  return rel.startsWith('.') || rel.startsWith('/') ? rel : `./${rel}`;
}

/** The one line that puts this repository's `agora` on PATH for the current shell only. */
export const pathLine = () => `export PATH="${REPO_ROOT}:$PATH"`;
