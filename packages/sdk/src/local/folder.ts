// A local folder as a submission bundle: the files it holds (the same rules the server applies),
// inline JSON files for small bundles, a tar.gz for large ones.

import { spawnSync } from 'node:child_process';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { bundlePathProblem } from '@agora/core';
import { LocalError } from './errors.ts';

/** Folders that are never part of a bundle. */
export const SKIP = new Set(['.git', 'node_modules', '__pycache__', '.venv', '.DS_Store']);

export interface LocalFile { path: string; abs: string; size: number; executable: boolean }

/** Every regular file under dir (bundle paths with "/"); symlinks and odd names are refused, not followed. */
export function collectFiles(dir: string): LocalFile[] {
  const out: LocalFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (SKIP.has(name)) continue;
      const abs = join(d, name);
      const st = lstatSync(abs);
      const path = relative(dir, abs).split(sep).join('/');
      if (st.isSymbolicLink()) throw new LocalError('bad_bundle', `${path}: a symbolic link; bundles hold regular files only`);
      if (st.isDirectory()) walk(abs);
      else if (st.isFile()) {
        const problem = bundlePathProblem(path);
        if (problem) throw new LocalError('bad_bundle', problem);
        out.push({ path, abs, size: st.size, executable: (st.mode & 0o111) !== 0 });
      }
    }
  };
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    throw new LocalError('bad_bundle', `${dir}: no such folder`);
  }
  if (!st.isDirectory()) throw new LocalError('bad_bundle', `${dir}: not a folder`);
  walk(dir);
  if (!out.length) throw new LocalError('bad_bundle', `${dir}: no files to submit`);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** One file as createSubmission takes it inline: UTF-8 text as is, anything else as base64. */
export function inlineFile(f: LocalFile) {
  const bytes = readFileSync(f.abs);
  try {
    return { path: f.path, content: utf8.decode(bytes), encoding: 'utf8' as const, executable: f.executable };
  } catch {
    return { path: f.path, content: bytes.toString('base64'), encoding: 'base64' as const, executable: f.executable };
  }
}

/** Packs a folder with the system tar (same exclusions as the walk) into `into`/bundle.tar.gz. */
export function packTar(dir: string, into: string): string {
  const file = join(into, 'bundle.tar.gz');
  const tar = spawnSync('tar', ['-czf', file, ...[...SKIP].map((s) => `--exclude=${s}`), '-C', dir, '.']);
  if (tar.error || tar.status !== 0)
    throw new LocalError('bad_bundle', `the bundle is over the inline limit and \`tar\` could not pack it (${tar.error?.message ?? tar.stderr.toString().slice(0, 200)})`);
  return file;
}
