import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createGzip } from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Header } from 'tar';
import { BadBundleError, entryProblem, extractBundle } from './bundle.ts';

const root = mkdtempSync(join(tmpdir(), 'agora-bundle-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

interface RawEntry {
  path: string;
  type?: 'File' | 'Directory' | 'SymbolicLink' | 'Link' | 'CharacterDevice' | 'FIFO';
  body?: string;
  linkpath?: string;
  mode?: number;
}

/** A tar.gz written byte by byte, so the hostile entries node-tar would never create can be made. */
async function rawTarGz(entries: RawEntry[]): Promise<string> {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const type = e.type ?? 'File';
    const h = new Header({
      path: e.path,
      mode: e.mode ?? (type === 'Directory' ? 0o755 : 0o644),
      uid: 0,
      gid: 0,
      size: type === 'File' ? body.length : 0,
      mtime: new Date(0),
      type,
      ...(e.linkpath ? { linkpath: e.linkpath } : {}),
    });
    const block = Buffer.alloc(512);
    h.encode(block, 0);
    blocks.push(block);
    if (type === 'File' && body.length) {
      blocks.push(body, Buffer.alloc((512 - (body.length % 512)) % 512));
    }
  }
  blocks.push(Buffer.alloc(1024));
  const file = join(root, `b${++n}.tar.gz`);
  const { createWriteStream } = await import('node:fs');
  await pipeline(Readable.from([Buffer.concat(blocks)]), createGzip(), createWriteStream(file));
  return file;
}

const limits = { maxBytes: 10_000, maxFiles: 20 };
const dest = () => join(root, `out${++n}`);

async function refused(entries: RawEntry[], pattern: RegExp, lim = limits) {
  const file = await rawTarGz(entries);
  const dir = dest();
  await assert.rejects(extractBundle(file, dir, lim), (e: unknown) => {
    assert.ok(e instanceof BadBundleError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
  assert.deepEqual(existsSync(dir) ? readdirSync(dir) : [], [], 'nothing is left unpacked');
  assert.ok(!existsSync(join(root, 'escaped')), 'nothing escaped the folder');
}

describe('bundle unpacking', () => {
  test('a normal bundle unpacks with folders and files; setuid bits are dropped, the executable bit kept', async () => {
    const file = await rawTarGz([
      { path: 'src/', type: 'Directory' },
      { path: 'src/main.js', body: 'console.log(1)' },
      { path: 'agora.json', body: '{"command":["node","src/main.js"]}', mode: 0o4755 },
      { path: 'ünïcödé <script>.txt', body: 'ok' },
    ]);
    const dir = dest();
    const r = await extractBundle(file, dir, limits);
    assert.equal(r.files, 3);
    assert.equal(readFileSync(join(dir, 'src/main.js'), 'utf8'), 'console.log(1)');
    assert.equal(statSync(join(dir, 'agora.json')).mode & 0o7000, 0, 'no setuid bit');
    assert.equal(statSync(join(dir, 'agora.json')).mode & 0o777, 0o755, 'still executable');
    assert.equal(statSync(join(dir, 'src/main.js')).mode & 0o777, 0o644);
    assert.equal(readFileSync(join(dir, 'ünïcödé <script>.txt'), 'utf8'), 'ok');
  });

  test('absolute paths and ".." are refused', async () => {
    await refused([{ path: '/etc/escaped', body: 'x' }], /absolute path/);
    await refused([{ path: 'a/../../escaped', body: 'x' }], /"\.\." in a path/);
  });

  // Decision 0052: links are refused whatever they point at, so no link rule can be got wrong.
  test('links of every kind (inside, out of the bundle, through links), hard links and devices are refused', async () => {
    await refused([{ path: 'src/main.js', body: 'x' }, { path: 'link.js', type: 'SymbolicLink', linkpath: 'src/main.js' }], /"link\.js": SymbolicLink entries are not allowed/);
    await refused([{ path: 'l', type: 'SymbolicLink', linkpath: '/etc/passwd' }], /SymbolicLink entries are not allowed/);
    await refused([{ path: 'l', type: 'SymbolicLink', linkpath: '../escaped' }], /SymbolicLink entries are not allowed/);
    await refused([{ path: 'a/b/l', type: 'SymbolicLink', linkpath: '../../../escaped' }], /SymbolicLink entries are not allowed/);
    await refused([{ path: 'l', type: 'SymbolicLink', linkpath: '.' }, { path: 'l/escaped', body: 'x' }], /SymbolicLink entries are not allowed/);
    await refused([{ path: 'a', type: 'SymbolicLink', linkpath: '.' }, { path: 'x/y', type: 'SymbolicLink', linkpath: '../a/..' }], /SymbolicLink entries are not allowed/);
    await refused([{ path: 'h', type: 'Link', linkpath: 'other' }], /Link entries are not allowed/);
    await refused([{ path: 'dev', type: 'CharacterDevice' }], /not allowed/);
    await refused([{ path: 'fifo', type: 'FIFO' }], /not allowed/);
  });

  test('size and count limits: declared sizes are summed before anything is written', async () => {
    await refused([{ path: 'big', body: 'x'.repeat(10_001) }], /more than 10000 bytes/);
    await refused(Array.from({ length: 21 }, (_, i) => ({ path: `f${i}`, body: 'x' })), /more than 20 files/);
  });

  test('garbage is not an archive', async () => {
    const file = join(root, 'garbage.tar.gz');
    writeFileSync(file, 'this is not gzip');
    const dir = dest();
    mkdirSync(dir);
    await assert.rejects(extractBundle(file, dir, limits), BadBundleError);
  });

  test('entry rules as a pure function', () => {
    const links = new Set<string>();
    assert.equal(entryProblem('File', './a/b.txt', undefined, links), null);
    assert.equal(entryProblem('Directory', 'a/', undefined, links), null);
    assert.match(entryProblem('File', 'a\0b', undefined, links)!, /control characters/);
    assert.match(entryProblem('File', 'C:\\x', undefined, links)!, /backslash/);
    assert.match(entryProblem('File', 'C:/x', undefined, links)!, /absolute/);
    assert.match(entryProblem('File', `${'x'.repeat(300)}/y`, undefined, links)!, /segment longer/);
    assert.match(entryProblem('SymbolicLink', 'd/l', '../x', links)!, /not allowed/);
    assert.match(entryProblem('SymbolicLink', 'l2', '', links)!, /not allowed/);
  });
});
