/**
 * SQL lives only in packages/store (docs/decisions, issue 10): every other package's sources are
 * scanned for SQL statements and fragments. Tests and their helpers are left out on purpose: they
 * query and tamper with the database to check what the store guards (triggers, counts).
 *
 * MIGRATING lists the files the data-layer engineers have not cleaned yet; it may only shrink. A
 * listed file that no longer holds SQL fails too, so the list cannot outlive the migration.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { findSql, looksLikeSql } from './sql-detector.ts';

const root = join(import.meta.dirname, '..');

const MIGRATING = new Set<string>([
  // every area has moved; a file may come back here only while it is being migrated
]);

const isTestSupport = (name: string) => /\.test\.ts$|\.fixtures\.ts$|^testing\.ts$|^testbed\.ts$/.test(name);

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (/\.(?:ts|mts|cts|tsx)$/.test(name) && !name.endsWith('.d.ts') && !isTestSupport(name)) out.push(relative(root, p));
  }
  return out;
}

describe('no SQL outside packages/store', () => {
  const packages = readdirSync(join(root, 'packages')).filter((p) => p !== 'store' && statSync(join(root, 'packages', p)).isDirectory());
  const files = packages.flatMap((p) => sources(join(root, 'packages', p)));

  test('no package but the store holds SQL (beyond the files still being migrated)', () => {
    assert.ok(files.length > 50, `scanned ${files.length} files`);
    const offenders: string[] = [];
    const cleaned: string[] = [];
    for (const f of files) {
      const hits = findSql(readFileSync(join(root, f), 'utf8'), f);
      if (hits.length && !MIGRATING.has(f)) offenders.push(`${f}:${hits[0]!.line}: ${hits[0]!.text}${hits.length > 1 ? ` (and ${hits.length - 1} more)` : ''}`);
      if (!hits.length && MIGRATING.has(f)) cleaned.push(f);
    }
    assert.deepEqual(offenders, [], 'move these queries into a named function in packages/store (by area)');
    assert.deepEqual(cleaned, [], 'these files hold no SQL any more: remove them from MIGRATING in scripts/no-sql-outside-store.test.ts');
    for (const f of MIGRATING) assert.ok(files.includes(f), `${f} is on MIGRATING but does not exist: remove it`);
  });

  test('the store itself is found full of SQL (the detector sees real queries)', () => {
    const store = sources(join(root, 'packages/store/src'));
    const found = store.reduce((n, f) => n + findSql(readFileSync(join(root, f), 'utf8'), f).length, 0);
    assert.ok(found >= 20, `found ${found} statements in packages/store`);
  });
});

describe('the SQL detector', () => {
  const sql = [
    'select 1',
    'select clock_timestamp() as now',
    "select pg_notify($1, $2)",
    'select e.*, p.handle as actor_handle from events e left join participants p on p.id = e.actor_id where e.id > $1',
    'select id from participants where is_admin limit 1',
    'select count(*)::int as n from submissions',
    '(select count(*) from posts)',
    'with n as (update jobs set log_lines = log_lines + 1 where id = $1 returning log_lines) insert into job_logs select 1',
    'insert into events (collaboration_id, type) values ($1, $2) returning id',
    'update posts set hidden_at = now() where id = $1',
    'update api_keys k set last_used_at = now() where k.id = $1',
    'delete from read_cursors where participant_id = $1',
    'create table x (id int)',
    'create unique index posts_x on posts (id)',
    "'ruling' = any(p.tags)",
    'and e.type = any($4)',
    'p.author_id = $2 and p.hidden_at is null',
    'tags @> \'{ruling}\'',
    '$1::int[]',
    'order by p.id desc',
  ];
  const prose = [
    'select a runner from the list, then queue the job',
    'Select which file from your bundle to show',
    'update the page and set it straight',
    'please delete from your notes what you no longer need',
    'with care as (always) we go',
    'a handle is 2-32 lowercase letters, digits, "_" or "-"',
    '<strong>$1</strong>',
    'n=$1; p=$2; shift 2',
    'after',
    'the leaderboard, in order by mean',
    'create a knowledge-base page (revision 1)',
    'begin the measurement when the server answers',
  ];
  for (const s of sql) test(`finds: ${s}`, () => assert.ok(looksLikeSql(s)));
  for (const s of prose) test(`leaves prose alone: ${s}`, () => assert.ok(!looksLikeSql(s)));

  test('reads literals and templates, not comments', () => {
    const src = [
      '// select id from posts where id = $1 (a comment)',
      "const a = 'not sql at all';",
      'const b = `select * from ${table} where id = $1`;',
      "const c = cond ? `and p.author_id = $2` : '';",
      "db.query('select 1');",
    ].join('\n');
    assert.deepEqual(findSql(src).map((h) => h.line), [3, 4, 5]);
  });
});
