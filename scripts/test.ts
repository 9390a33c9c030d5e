/**
 * The whole test suite: every *.test.ts with Node's test runner, the database-backed ones once
 * per engine (PGlite, then PostgreSQL), and the Python tests of the GPU challenge's harness.
 * Prints each file that skipped tests or suites with the reasons, then one closing line,
 * `N passed, N failed, N skipped, N suite(s) skipped`, and exits non-zero on any failure.
 *
 *   npm test                       everything
 *   npm test -- packages/server    only files under a path (both engines)
 *   AGORA_TEST_ENGINES=pglite npm test
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pg from 'pg';

const root = join(import.meta.dirname, '..');
const filters = process.argv.slice(2);

/** A path is run when no filter is given, or when it lies under a filter, or a filter lies under it. */
function wanted(path: string): boolean {
  return !filters.length || filters.some((x) => {
    const f = x.replace(/^\.\//, '').replace(/\/$/, '');
    return path.startsWith(f) || f.startsWith(path);
  });
}

function findTests(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const all = ['packages', 'challenges', 'scripts']
  .filter((d) => existsSync(join(root, d)))
  .flatMap((d) => findTests(join(root, d)))
  .filter(wanted)
  .sort();
// A file that opens a test database runs once per engine; the others (pure logic, sandbox, harnesses) once.
const usesDb = (f: string) => /openTestDb|testDatabaseTarget|startTestServer|testbed\.ts/.test(readFileSync(join(root, f), 'utf8'));
const dbFiles = all.filter(usesDb);
const plainFiles = all.filter((f) => !usesDb(f));

interface Tally { passed: number; failed: number; skipped: number }
const total: Tally = { passed: 0, failed: 0, skipped: 0 };
const notes: string[] = [];
/** Skipped suites and tests by file, with their reasons (scripts/skip-reporter.ts writes them). */
const skips: string[] = [];
let skippedSuites = 0;

function readSkips(label: string, file: string) {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  const byFile = new Map<string, { suites: number; tests: number; reasons: Set<string> }>();
  for (const line of lines) {
    const s = JSON.parse(line) as { file: string | null; kind: 'suite' | 'test'; reason: string };
    const f = s.file ? relative(root, s.file) : '(unknown file)';
    const entry = byFile.get(f) ?? { suites: 0, tests: 0, reasons: new Set<string>() };
    if (s.kind === 'suite') entry.suites++;
    else entry.tests++;
    entry.reasons.add(s.reason || 'no reason given');
    byFile.set(f, entry);
  }
  for (const [f, e] of byFile) {
    skippedSuites += e.suites;
    const what = [e.suites && `${e.suites} suite(s)`, e.tests && `${e.tests} test(s)`].filter(Boolean).join(', ');
    skips.push(`  ${label}: ${f}: ${what} skipped: ${[...e.reasons].join('; ')}`);
  }
}

function runCommand(cmd: string, args: string[], env: Record<string, string>, cwd = root): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (err) => resolve({ code: 1, output: output + String(err) }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function nodeTests(label: string, files: string[], env: Record<string, string>) {
  if (!files.length) return;
  console.log(`\n=== ${label}: ${files.length} file(s) ===`);
  const skipDir = mkdtempSync(join(tmpdir(), 'agora-skips-'));
  const skipFile = join(skipDir, 'skips.jsonl');
  const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', `--test-reporter=${join(root, 'scripts/skip-reporter.ts')}`, `--test-reporter-destination=${skipFile}`];
  const { code, output } = await runCommand(process.execPath, ['--test', '--test-concurrency=2', ...reporters, ...files], env);
  readSkips(label, skipFile);
  rmSync(skipDir, { recursive: true, force: true });
  const num = (k: string) => Number(new RegExp(`^ℹ ${k} (\\d+)`, 'm').exec(output)?.[1] ?? 0);
  // Node counts skipped tests but not skipped suites (a skipped describe hides its tests): count
  // every `﹣ name (… ms) # reason` line, suites included, and keep the reasons for the summary.
  const skips = [...output.matchAll(/^\s*﹣ (.*) \([\d.]+m?s\) # (.*)$/gm)].map((m) => `${m[1]}: ${m[2]}`);
  const t = { passed: num('pass'), failed: num('fail') + num('cancelled'), skipped: Math.max(num('skipped'), skips.length) + num('todo') };
  if (code !== 0 && t.failed === 0) t.failed = 1; // a crash before any summary still fails the run
  total.passed += t.passed; total.failed += t.failed; total.skipped += t.skipped;
  notes.push(`${label}: ${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`);
  for (const [why, n] of countBy(skips)) notes.push(`  skipped${n > 1 ? ` (${n}x)` : ''} ${why}`);
}

function countBy(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of items) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}

async function postgresReachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await client.end().catch(() => {});
  }
}

async function pythonTests() {
  const suite = join(root, 'challenges/llm-decode');
  if (!existsSync(join(suite, 'tests'))) return;
  if (!wanted('challenges/llm-decode')) return;
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  console.log('\n=== llm-decode harness (Python, CPU) ===');
  const { code, output } = await runCommand(python, ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], {
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONPATH: suite,
  }, suite);
  const ran = Number(/^Ran (\d+) test/m.exec(output)?.[1] ?? 0);
  const tail = /^(?:FAILED|OK) \(([^)]*)\)/m.exec(output)?.[1] ?? '';
  const count = (k: string) => Number(new RegExp(`${k}=(\\d+)`).exec(tail)?.[1] ?? 0);
  // A crash before unittest's summary counts as one failure.
  const failed = count('failures') + count('errors') + (code !== 0 && !/^FAILED/m.test(output) ? 1 : 0);
  const skipped = count('skipped');
  const passed = Math.max(0, ran - count('failures') - count('errors') - skipped);
  total.passed += passed; total.failed += failed; total.skipped += skipped;
  notes.push(`llm-decode (python): ${passed} passed, ${failed} failed, ${skipped} skipped`);
}

const engines = (process.env.AGORA_TEST_ENGINES ?? 'pglite,postgres').split(',').map((s) => s.trim());
await nodeTests('unit, sandbox and harness tests', plainFiles, {});
if (engines.includes('pglite')) await nodeTests('engine pglite', dbFiles, { AGORA_TEST_ENGINE: 'pglite' });
if (engines.includes('postgres') && dbFiles.length) {
  const url = process.env.AGORA_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const problem = await postgresReachable(url);
  if (!problem) await nodeTests('engine postgres', dbFiles, { AGORA_TEST_ENGINE: 'postgres', AGORA_TEST_DATABASE_URL: url });
  else if (process.env.CI) {
    total.failed += 1;
    notes.push(`engine postgres: FAILED to reach ${url}: ${problem}`);
  } else {
    notes.push(`engine postgres: SKIPPED, no PostgreSQL at ${url} (${problem}); set AGORA_TEST_DATABASE_URL or start one`);
  }
}
await pythonTests();

console.log('\n=== summary ===');
for (const n of notes) console.log(n);
if (skips.length) console.log(`skipped, by file:\n${skips.join('\n')}`);
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped, ${skippedSuites} suite(s) skipped`);
process.exit(total.failed ? 1 : 0);
