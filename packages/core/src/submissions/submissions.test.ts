import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CreateSubmissionBody, SubmissionRef, UploadSubmissionQuery } from '../schemas/submissions.ts';
import { diffFileLists, looksLikeText } from './diff.ts';
import { canonicalListing, fingerprint, type BundleEntry } from './fingerprint.ts';
import { bundlePathProblem, normaliseArchivePath, pathSetProblems } from './paths.ts';
import { contentSimilarity, suggestParents } from './similarity.ts';

const sha = (c: string) => c.repeat(64).slice(0, 64);
const f = (path: string, c: string, size = 10, executable = false): BundleEntry => ({ path, sha256: sha(c), size, executable });

test('path rules refuse what could escape or collide', () => {
  for (const ok of ['a.py', 'src/serve.py', 'données/é.txt', '.github/x.yml', 'a b/c']) assert.equal(bundlePathProblem(ok), null, ok);
  const bad = ['', '/etc/passwd', '../x', 'a/../../x', 'a/./b', 'a//b', 'a/', 'a\\b', 'C:/x', 'a\u0000b', 'a\nb', 'evil\u202egpj.exe', 'e\u0301.txt', 'x'.repeat(600), `${'d/'.repeat(40)}f`];
  for (const p of bad) assert.notEqual(bundlePathProblem(p), null, JSON.stringify(p));
  assert.deepEqual(normaliseArchivePath('./a//b'), { path: 'a/b' });
  assert.deepEqual(normaliseArchivePath('dir/'), { path: 'dir' });
  assert.ok('problem' in normaliseArchivePath('/abs'));
  assert.ok('problem' in normaliseArchivePath('./../x'));
  assert.deepEqual(pathSetProblems(['a', 'b']), []);
  assert.equal(pathSetProblems(['Readme.md', 'README.md']).length, 1);
  assert.equal(pathSetProblems(['a', 'a/b']).length, 1);
  assert.equal(pathSetProblems(['x', 'x']).length, 1);
});

test('fingerprint: order-free, sensitive to content, path and the executable bit', () => {
  const a = [f('b.py', 'b'), f('a.py', 'a')];
  assert.equal(fingerprint(a), fingerprint([...a].reverse()));
  assert.match(fingerprint(a), /^[0-9a-f]{64}$/);
  assert.notEqual(fingerprint(a), fingerprint([f('b.py', 'b'), f('a.py', 'c')]));
  assert.notEqual(fingerprint(a), fingerprint([f('b.py', 'b'), f('A.py', 'a')]));
  assert.notEqual(fingerprint(a), fingerprint([f('b.py', 'b'), f('a.py', 'a', 10, true)]));
  // Byte order, not locale order: "Z" (0x5a) sorts before "a" (0x61), "é" after both.
  assert.equal(canonicalListing([f('é', '1'), f('a', '2'), f('Z', '3')]).split('\n').map((l) => l.slice(67)).join(','), 'Z,a,é,');
});

test('file list diff: added, removed, modified, renamed, unchanged', () => {
  const old = [f('keep.py', '1'), f('mod.py', '2'), f('gone.py', '3'), f('old/name.py', '4'), f('mode.sh', '5')];
  const neu = [f('keep.py', '1'), f('mod.py', '9'), f('new.py', '6'), f('new/name.py', '4'), f('mode.sh', '5', 10, true)];
  const d = diffFileLists(old, neu);
  assert.deepEqual(d.changes.map((c) => `${c.status}:${c.path}`), ['removed:gone.py', 'modified:mod.py', 'modified:mode.sh', 'added:new.py', 'renamed:new/name.py']);
  assert.equal(d.unchanged, 1);
  assert.equal(d.added + d.removed + d.modified + d.renamed, 5);
  const r = d.changes.find((c) => c.status === 'renamed');
  assert.ok(r && r.status === 'renamed' && r.oldPath === 'old/name.py');
  assert.deepEqual(diffFileLists(old, old).changes, []);
});

test('text detection', () => {
  assert.equal(looksLikeText(Buffer.from('héllo\n')), true);
  assert.equal(looksLikeText(Buffer.from([0x68, 0, 0x69])), false);
  assert.equal(looksLikeText(Buffer.from([0xff, 0xfe, 0x41])), false);
});

test('similarity and parent suggestions', () => {
  const base = [f('a', '1'), f('b', '2'), f('c', '3'), f('d', '4')];
  assert.equal(contentSimilarity(base, base).similarity, 1);
  assert.equal(contentSimilarity(base, [f('x', '9')]).similarity, 0);
  // Empty files are shared by everyone and say nothing.
  assert.equal(contentSimilarity([f('e', '0', 0)], [f('e2', '0', 0)]).similarity, 0);
  // A rename still counts as shared content.
  const mine = [f('a', '1'), f('b', '2'), f('renamed-c', '3'), f('e', '5')];
  assert.equal(contentSimilarity(mine, base).similarity, 3 / 5);
  const cands = [
    { id: 1, authorId: 10, files: base },
    { id: 2, authorId: 20, files: base },
    { id: 3, authorId: 30, files: [f('z', '8')] },
    { id: 4, authorId: 99, files: base },
  ];
  const s = suggestParents(mine, 99, cands);
  assert.deepEqual(s.map((x) => x.id), [1, 2], 'own submissions and dissimilar ones are left out; older first on ties');
  assert.equal(s[0]!.sharedFiles, 3);
  assert.deepEqual(suggestParents(mine, 99, cands, new Set([1])).map((x) => x.id), [2]);
});

test('schemas: submission refs, exactly one source of files, query lists', () => {
  assert.equal(SubmissionRef.parse('#s12'), 12);
  assert.equal(SubmissionRef.parse(7), 7);
  assert.equal(SubmissionRef.safeParse('#s0').success, false);
  assert.equal(SubmissionRef.safeParse('12; drop table submissions').success, false);
  assert.equal(SubmissionRef.safeParse(-3).success, false);
  assert.equal(CreateSubmissionBody.safeParse({ title: 't' }).success, false);
  assert.equal(CreateSubmissionBody.safeParse({ title: 't', files: [{ path: 'a', content: 'x' }], bundle: sha('a') }).success, false);
  const ok = CreateSubmissionBody.parse({ title: ' t ', files: [{ path: 'a', content: 'x' }], levers: ['INT4', 'int4'], parents: ['#s3', 3] });
  assert.deepEqual([ok.title, ok.levers, ok.parents], ['t', ['int4'], [3]]);
  assert.equal(CreateSubmissionBody.safeParse({ title: 't', files: [{ path: '../x', content: 'x' }] }).success, false);
  assert.equal(CreateSubmissionBody.safeParse({ title: 'a\u202eb', files: [{ path: 'x', content: 'x' }] }).success, false);
  const q = UploadSubmissionQuery.parse({ title: 'x', parents: '#s1, 2', levers: 'a,b', staged: 'true' });
  assert.deepEqual([q.parents, q.levers, q.credits, q.staged], [[1, 2], ['a', 'b'], [], true]);
});
