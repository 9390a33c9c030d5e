// `agora backup` of a running server (startTestServer, this engine) while participants keep writing,
// then `agora restore` into an empty data folder or database (testDatabaseTarget), compared table by
// table and blob by blob with the archive, and checked for every invariant (decision 0161).

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { AgoraClient } from '@agora/sdk';
import { consistencyProblems, openDb, openLocalBlobStore } from '@agora/store';
import { exportBackup, readManifest, unpackBackup } from '@agora/store/backup';
import { testDatabaseTarget } from '@agora/store/testing';
import { startTestServer } from '../../server/src/testing.ts';
import { cliEnv, json, runCli, tmpConfig } from './testing.ts';

const tmp = mkdtempSync(join(tmpdir(), 'agora-backup-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Each table's lines, sorted (a table without a single-column key is exported in physical order). */
const tableLines = (dir: string) =>
  Object.fromEntries(readdirSync(join(dir, 'tables')).sort().map((f) => [f, readFileSync(join(dir, 'tables', f), 'utf8').split('\n').filter(Boolean).sort()]));
const blobBytes = (dir: string) =>
  Object.fromEntries(readdirSync(join(dir, 'blobs')).sort().map((f) => [f, readFileSync(join(dir, 'blobs', f)).toString('base64')]));

/** Pages, submissions and threads, one at a time, until `stop` says so; returns how many were acknowledged. */
async function keepWriting(me: AgoraClient, collab: string, n: number, stop: () => boolean, acked: { n: number }): Promise<void> {
  for (let i = 0; !stop() && i < 40; i++) {
    const slug = `b${n}-${i}`;
    if (i % 3 === 0) await me.call('createPage', { params: { collab }, body: { slug, title: slug, category: 'other', body: `page ${slug}\n` } });
    else if (i % 3 === 1) await me.call('createSubmission', { params: { collab }, body: { title: slug, files: [{ path: 'agora.json', content: `{"command":["node","m.js"],"n":"${slug}"}` }, { path: 'm.js', content: `// ${slug}\n` }] } });
    else if (i < 12) await me.call('createPost', { params: { collab }, body: { title: slug, body: `post ${slug}` } });
    acked.n++;
  }
}

test('agora backup of a running server while writes go on; agora restore into an empty database gives back every table and blob', { timeout: 300_000 }, async () => {
  const t = await startTestServer();
  const target = await testDatabaseTarget({ empty: true });
  try {
    const env = cliEnv(tmpConfig(tmp), { AGORA_URL: t.url, AGORA_API_KEY: t.admin.apiKey! });
    const writers = await Promise.all([0, 1, 2].map((i) => t.join(`writer${i}`)));
    const acked = { n: 0 };
    let backupDone = false;
    const writing = Promise.all(writers.map((w, i) => keepWriting(w, t.collab, i, () => backupDone, acked)));
    await new Promise<void>((r) => {
      const check = () => (acked.n >= 6 ? r() : setTimeout(check, 20));
      check();
    });
    const before = acked.n;
    const file = join(tmp, 'backup.tar.gz');
    const backup = json(await runCli(['--json', 'backup', '--out', file], env));
    backupDone = true;
    const during = acked.n - before;
    await writing;
    assert.ok(during > 0, 'no write was acknowledged while the backup ran: the test did not back up a server being written to');
    assert.ok(backup.rows > 0 && backup.blobs > 0, JSON.stringify(backup));

    const original = join(tmp, 'original');
    await unpackBackup(file, original);
    const m = readManifest(original);
    assert.equal(m.engine, t.testDb.engine);
    // The snapshot is one transaction: every invariant holds in it (checked below on the restored copy).

    const data = join(tmp, 'restored');
    const restoreArgs = ['--json', 'restore', file, '--data', data, '--database', target.target];
    const restored = json(await runCli(restoreArgs, env));
    assert.equal(restored.rows, backup.rows);
    const again = await runCli(restoreArgs, env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not_empty|already holds Agora tables/);

    const db = await openDb(target.target);
    try {
      assert.deepEqual(await consistencyProblems(db), []);
      const copy = join(tmp, 'copy');
      await exportBackup(db, await openLocalBlobStore(join(data, 'artifacts')), copy);
      assert.deepEqual(tableLines(copy), tableLines(original), 'every table as it was');
      assert.deepEqual(blobBytes(copy), blobBytes(original), 'every blob as it was');
      assert.deepEqual(readManifest(copy).tables, m.tables);
    } finally {
      await db.close();
    }
  } finally {
    await t.close();
    await target.dispose();
  }
});
