import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// What a submission can leave in its scratch: directories it made unreadable and unwritable, and a
// link out of the tree. Run as a user that is not root (root ignores the modes), as nobody when the
// tests run as root.
const SCRIPT = `
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const { removeTree } = await import(process.argv[1]);
const base = mkdtempSync(join(tmpdir(), 'agora-remove-tree-'));
const outside = join(base, 'outside');
mkdirSync(outside);
writeFileSync(join(outside, 'keep'), 'kept');
chmodSync(outside, 0o500);
const make = (d) => {
  mkdirSync(join(d, 'a', 'b'), { recursive: true });
  writeFileSync(join(d, 'a', 'b', 'f'), 'x');
  symlinkSync(outside, join(d, 'a', 'link'));
  chmodSync(join(d, 'a', 'b'), 0);
  chmodSync(join(d, 'a'), 0);
};
const plain = join(base, 'plain');
make(plain);
let plainFailed = false;
try { rmSync(plain, { recursive: true, force: true }); } catch { plainFailed = true; }
const tree = join(base, 'tree');
make(tree);
removeTree(tree);
const result = { plainFailed, removed: !existsSync(tree), outsideMode: lstatSync(outside).mode & 0o777, outsideKept: readFileSync(join(outside, 'keep'), 'utf8') };
removeTree(base);
result.baseRemoved = !existsSync(base);
console.log(JSON.stringify(result));
`;

test('removeTree: directories a submission made unreadable are removed, a link out of the tree is not followed', (t) => {
  const moduleFile = fileURLToPath(new URL('./remove-tree.ts', import.meta.url));
  const node = [process.execPath, '--input-type=module', '-e', SCRIPT, moduleFile];
  const asRoot = process.getuid?.() === 0;
  if (asRoot && !existsSync('/usr/bin/setpriv')) return t.skip('running as root without setpriv: cannot drop to a user the modes bind');
  const drop = asRoot ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
  if (asRoot) {
    // nobody must be able to run this checkout's Node and read the module (not so under a private home)
    const probe = spawnSync(drop[0]!, [...drop.slice(1), process.execPath, '--input-type=module', '-e', 'await import(process.argv[1])', moduleFile]);
    if (probe.status !== 0) return t.skip(`nobody cannot run this checkout's Node or read ${moduleFile}`);
  }
  const cmd = [...drop, ...node];
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', env: { ...process.env, TMPDIR: '/tmp' } });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { plainFailed: true, removed: true, outsideMode: 0o500, outsideKept: 'kept', baseRemoved: true });
});
