import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseChallenge } from '../challenge.ts';
import { problemLines, submissionProblems, type SubmissionRules } from './checks.ts';

const rules: SubmissionRules = {
  max_bytes: 100,
  max_files: 3,
  required_files: ['weights.bin'],
  manifest: { file: 'manifest.json', fields: { serve: { type: 'argv', required: true }, env: { type: 'string_map', required: false } }, placeholders: ['port'] },
};

const check = (files: Record<string, string>, r = rules, extra: string[] = []) => {
  const list = Object.entries(files).map(([path, text]) => ({ path, size: Buffer.byteLength(text) }));
  return submissionProblems(r, list, new Set([...Object.keys(files), ...extra]), (p) => files[p] ?? null);
};

test('a good bundle has no problems; artifacts count as present', () => {
  assert.deepEqual(check({ 'manifest.json': '{"serve":["python3","serve.py","--port","{port}"]}', 'serve.py': '' }, rules, ['weights.bin']), []);
});

test('every problem is reported at once, each with its code', () => {
  const ps = check({
    'manifest.json': '{"serve":["python3","srv.py","{prot}"],"env":{"A":1},"sevre":true}',
    'serve.py': 'x'.repeat(90),
    'a.txt': 'y'.repeat(20),
    'b.txt': '',
  });
  assert.deepEqual(ps.map((p) => p.code), ['too_many_files', 'too_large', 'missing_file', 'command', 'command', 'manifest_field', 'manifest_field']);
  const text = problemLines(ps).join('\n');
  assert.match(text, /4 files; this challenge takes at most 3/);
  assert.match(text, /"weights.bin" is missing/);
  assert.match(text, /unknown placeholder \{prot\} in argument 2 \(the harness fills \{port\}\)/);
  assert.match(text, /argument 1 names "srv.py", which is not in the bundle/);
  assert.match(text, /"env" must map strings to strings/);
  assert.match(text, /unknown field "sevre" .*did you mean "serve"/);
});

test('a missing manifest, invalid JSON, a missing or mistyped command', () => {
  assert.match(check({ 'weights.bin': '' })[0]!.message, /"manifest.json" is missing.*"serve" \(argv\)/);
  assert.equal(check({ 'manifest.json': '{"serve": [', 'weights.bin': '' })[0]!.code, 'manifest_json');
  assert.equal(check({ 'manifest.json': '[1]', 'weights.bin': '' })[0]!.code, 'manifest_json');
  assert.match(check({ 'manifest.json': '{}', 'weights.bin': '' })[0]!.message, /"serve" is missing/);
  assert.match(check({ 'manifest.json': '{"serve":"python3 serve.py"}', 'weights.bin': '' })[0]!.message, /must be a non-empty list of strings/);
  assert.match(check({ 'manifest.json': '{"serve":["python3",""]}', 'weights.bin': '' })[0]!.message, /only non-empty strings/);
  // flags, absolute programs, key=value and placeholders are not taken for bundle files
  assert.deepEqual(check({ 'manifest.json': '{"serve":["/usr/bin/env","A=b.py","--x=y.py","./run.sh"]}', 'weights.bin': '', 'run.sh': '' }), []);
  assert.match(check({ 'manifest.json': '{"serve":["./bin/serve"]}', 'weights.bin': '' })[0]!.message, /"\.\/bin\/serve", which is not in the bundle/);
});

test("the shipped challenges' examples pass their own checks", () => {
  const root = join(import.meta.dirname, '../../../../challenges/tiny-lm');
  const spec = parseChallenge(readFileSync(join(root, 'challenge.yaml'), 'utf8'));
  assert.ok(spec.submission.manifest, 'tiny-lm declares its manifest');
  for (const name of readdirSync(join(root, 'submissions'))) {
    const dir = join(root, 'submissions', name);
    const files = readdirSync(dir).map((path) => ({ path, size: statSync(join(dir, path)).size }));
    const ps = submissionProblems(spec.submission, files, new Set(files.map((f) => f.path)), (p) => readFileSync(join(dir, p), 'utf8'));
    assert.deepEqual(ps, [], name);
  }
  const gpu = parseChallenge(readFileSync(join(root, '../llm-decode/challenge.yaml'), 'utf8'));
  for (const name of ['baseline', 'broken-skip-layers']) {
    const text = readFileSync(join(root, '../llm-decode/submissions', name, 'manifest.json'), 'utf8');
    const ps = submissionProblems(gpu.submission, [], new Set(['manifest.json', 'agora_serve.py', 'keep_vocab.json']), () => text);
    assert.deepEqual(ps, [], name);
  }
});
