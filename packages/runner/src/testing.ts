// Helpers for the runner's tests: the fixture challenges and submission bundles.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { create } from 'tar';

/** Folder of fixture challenge folders (`echo`: see fixtures/echo/challenge.yaml). */
export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

let n = 0;

/** A submission bundle (tar.gz) in `dir` from a map of file names to contents. */
export async function makeBundle(dir: string, files: Record<string, string>): Promise<string> {
  const src = join(dir, `src${++n}-${process.pid}`);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(src, name)), { recursive: true });
    writeFileSync(join(src, name), text);
  }
  const file = join(dir, `bundle${n}-${process.pid}.tar.gz`);
  await create({ gzip: true, file, cwd: src, portable: true }, Object.keys(files));
  return file;
}

/** An echo submission printing five scores (40, 41, ...). */
export const scoring = (extra: Record<string, string> = {}) => ({
  'agora.json': JSON.stringify({ command: ['node', 'main.js'] }),
  'main.js': 'for (let i = 0; i < 5; i++) console.log("score " + (40 + i));',
  ...extra,
});
