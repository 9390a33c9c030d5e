// `agora submit DIR` and `agora submissions list|show|diff|stage|file`.

import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { bundlePathProblem, type Infer, type Routes } from '@agora/core';
import { CliError, UsageError, type Command } from '../command.ts';
import { download, printServedFile, uploadArtifact } from './artifacts.ts';
import { fields, indent, nextPage, plural, safe, table, when } from '../output.ts';

/** Folders that are never part of a bundle. */
const SKIP = new Set(['.git', 'node_modules', '__pycache__', '.venv', '.DS_Store']);
/** Inline JSON bodies are capped at 1 MiB by the server; leave room for metadata and base64. */
const INLINE_BUDGET = 700 * 1024;

type SubmissionCreated = Infer<Routes['createSubmission']['response']>;

interface LocalFile { path: string; abs: string; size: number; executable: boolean }

/** Every regular file under dir (bundle paths with "/"); symlinks and odd names are refused, not followed. */
export function collectFiles(dir: string): LocalFile[] {
  const out: LocalFile[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      if (SKIP.has(name)) continue;
      const abs = join(d, name);
      const st = lstatSync(abs);
      const path = relative(dir, abs).split(sep).join('/');
      if (st.isSymbolicLink()) throw new CliError('bad_bundle', `${path}: a symbolic link; bundles hold regular files only`);
      if (st.isDirectory()) walk(abs);
      else if (st.isFile()) {
        const problem = bundlePathProblem(path);
        if (problem) throw new CliError('bad_bundle', problem);
        out.push({ path, abs, size: st.size, executable: (st.mode & 0o111) !== 0 });
      }
    }
  };
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    throw new CliError('bad_bundle', `${dir}: no such folder`);
  }
  if (!st.isDirectory()) throw new CliError('bad_bundle', `${dir}: not a folder`);
  walk(dir);
  if (!out.length) throw new CliError('bad_bundle', `${dir}: no files to submit`);
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function inlineFile(f: LocalFile) {
  const bytes = readFileSync(f.abs);
  try {
    return { path: f.path, content: utf8.decode(bytes), encoding: 'utf8' as const, executable: f.executable };
  } catch {
    return { path: f.path, content: bytes.toString('base64'), encoding: 'base64' as const, executable: f.executable };
  }
}

function createdText(res: SubmissionCreated): string {
  const s = res.submission;
  return [
    `submitted #s${s.id}: ${safe(s.title)} (${plural(s.fileCount, 'file')}, ${s.totalBytes} bytes${s.staged ? ', staged for sponsors' : ''})`,
    ...(res.duplicateOf ? [`note: same fingerprint as #s${res.duplicateOf.id} by @${res.duplicateOf.author} (${safe(res.duplicateOf.title)})`] : []),
    ...res.suggestedParents.map((p) => `suggested parent: #s${p.id} by @${p.author} (${Math.round(p.similarity * 100)}% similar, ${p.sharedFiles} shared files): declare it with --parent ${p.id} if you built on it`),
    `run it: agora jobs run ${s.id}`,
  ].join('\n');
}

/** Packs a folder with the system tar (same exclusions as the walk) into a temporary tar.gz. */
function packTar(dir: string, into: string): string {
  const file = join(into, 'bundle.tar.gz');
  const tar = spawnSync('tar', ['-czf', file, ...[...SKIP].map((s) => `--exclude=${s}`), '-C', dir, '.']);
  if (tar.error || tar.status !== 0)
    throw new CliError('bad_bundle', `the bundle is over the inline limit and \`tar\` could not pack it (${tar.error?.message ?? tar.stderr.toString().slice(0, 200)})`);
  return file;
}

/** --artifact PATH=SHA256: a large file already uploaded (`agora artifacts upload`), placed at PATH in the bundle. */
function artifactRefs(values: string[]): Array<{ path: string; sha256: string }> {
  return values.map((v) => {
    const m = /^(.+)=([0-9a-f]{64})$/.exec(v);
    if (!m) throw new UsageError(`--artifact ${JSON.stringify(v.slice(0, 80))}: PATH=SHA256 (the sha256 \`agora artifacts upload\` printed)`);
    const problem = bundlePathProblem(m[1]!);
    if (problem) throw new UsageError(`--artifact: ${problem}`);
    return { path: m[1]!, sha256: m[2]! };
  });
}

export const submissionCommands: Command[] = [
  {
    name: 'submit',
    args: '<dir> --title T [--description D] [--parent N]... [--lever X]... [--credit HANDLE]... [--artifact PATH=SHA256]... [--stage]',
    summary: 'Submit a folder as a bundle; declare what it builds on (--parent) and whom it owes (--credit).',
    options: {
      title: { type: 'string' }, description: { type: 'string' }, parent: { type: 'string', multiple: true },
      lever: { type: 'string', multiple: true }, credit: { type: 'string', multiple: true }, stage: { type: 'boolean' },
      artifact: { type: 'string', multiple: true },
    },
    async run(c, a) {
      a.atMost(1);
      const dir = a.pos(0, '<dir>');
      const title = a.need('title');
      const description = a.str('description') ?? '';
      const parents = a.list('parent').map((p) => p.replace(/^#?s?/i, ''));
      for (const p of parents) if (!/^\d{1,10}$/.test(p)) throw new UsageError(`--parent ${JSON.stringify(p)}: a submission id such as 12 or #s12`);
      const levers = a.list('lever');
      const credits = a.list('credit').map((h) => h.replace(/^@/, ''));
      const artifacts = artifactRefs(Array.isArray(a.values.artifact) ? a.values.artifact : []);
      const files = collectFiles(dir);
      const total = files.reduce((n, f) => n + f.size, 0);
      const client = c.authed();
      const collab = c.collab();
      const meta = { title, description, parents: parents.map(Number), levers, credits: credits.map((handle) => ({ handle })), artifacts, staged: a.flag('stage') };
      let res: SubmissionCreated;
      if (total * 1.4 <= INLINE_BUDGET) {
        res = await client.call('createSubmission', { params: { collab }, body: { ...meta, files: files.map(inlineFile) } });
      } else {
        // Too big for one JSON body: pack it, upload the archive as an artifact (resumable), submit it by hash.
        const tmp = mkdtempSync(join(tmpdir(), 'agora-submit-'));
        try {
          const archive = packTar(dir, tmp);
          const up = await uploadArtifact(client, collab, archive, { mediaType: 'application/gzip', note: (s) => c.note(s) });
          res = await client.call('createSubmission', { params: { collab }, body: { ...meta, bundle: up.sha256 } });
        } finally {
          rmSync(tmp, { recursive: true, force: true });
        }
      }
      c.print(res, () => createdText(res));
    },
  },
  {
    name: 'submissions list',
    args: '[--author H] [--lever X] [--parent N] [--staged] [--limit N] [--cursor C]',
    summary: 'Submissions, newest first.',
    options: { author: { type: 'string' }, lever: { type: 'string' }, parent: { type: 'string' }, staged: { type: 'boolean' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const author = a.str('author')?.replace(/^@/, '');
      const lever = a.str('lever');
      const parent = a.str('parent');
      const limit = a.int('limit', { min: 1, max: 200 });
      const cursor = a.str('cursor');
      const res = await c.client().call('listSubmissions', {
        params: { collab: c.collab() },
        query: { ...(author ? { author } : {}), ...(lever ? { lever } : {}), ...(parent ? { parent } : {}), ...(a.flag('staged') ? { staged: 'true' } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) },
      });
      c.print(res, () =>
        res.items.length
          ? table(res.items, [
            { header: 'ID', get: (s) => s.ref, align: 'right' },
            { header: 'AUTHOR', get: (s) => `@${s.author}`, max: 20 },
            { header: 'WHEN', get: (s) => when(s.createdAt) },
            { header: 'PARENTS', get: (s) => s.parents.map((p) => `#s${p}`).join(' '), max: 20 },
            { header: 'LEVERS', get: (s) => s.levers.join(','), max: 30 },
            { header: 'FLAGS', get: (s) => [s.staged ? 'staged' : '', s.duplicateOf ? `dup of #s${s.duplicateOf}` : '', s.invalidated ? 'INVALIDATED' : ''].filter(Boolean).join(' ') },
            { header: 'TITLE', get: (s) => s.title, max: 60 },
          ]) + nextPage(res.nextCursor)
          : 'no submissions yet: `agora submit DIR --title T`');
    },
  },
  {
    name: 'submissions show',
    args: '<id>',
    summary: 'One submission: files, parents, children, credits, fingerprint.',
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<id>');
      const s = await c.client().call('getSubmission', { params: { collab: c.collab(), id } });
      c.print(s, () =>
        [
          fields([
            ['submission', `${s.ref}: ${s.title}`], ['author', `@${s.author}`], ['created', when(s.createdAt)],
            ['parents', s.parents.map((p) => `#s${p}`).join(' ')], ['children', s.children.map((p) => `#s${p}`).join(' ')],
            ['credits', s.credits.map((cr) => `@${cr.handle}${cr.note ? ` (${cr.note})` : ''}`).join(', ')], ['levers', s.levers.join(', ')],
            ['fingerprint', s.fingerprint], ['duplicate of', s.duplicateOf ? `#s${s.duplicateOf}` : null], ['staged', s.staged],
            ['invalidated', s.invalidated ? `${when(s.invalidated.at)}: ${s.invalidated.reason ?? ''}` : null],
          ]),
          ...(s.description ? ['', indent(s.description)] : []),
          '',
          table(s.files, [
            { header: 'FILE', get: (f) => f.path, max: 80 },
            { header: 'BYTES', get: (f) => f.size, align: 'right' },
            { header: 'X', get: (f) => (f.executable ? 'x' : '') },
          ]),
        ].join('\n'));
    },
  },
  {
    name: 'submissions diff',
    args: '<id> [--against N] [--context N]',
    summary: 'File diff against each parent (or another submission).',
    options: { against: { type: 'string' }, context: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<id>');
      const against = a.str('against');
      const context = a.int('context', { min: 0, max: 20 });
      const res = await c.client().call('diffSubmission', { params: { collab: c.collab(), id }, query: { ...(against ? { against } : {}), ...(context !== undefined ? { context } : {}) } });
      c.print(res, () =>
        res.items.length
          ? res.items.map((d) =>
            [`#s${res.submission} against #s${d.against}: ${d.added} added, ${d.removed} removed, ${d.modified} modified, ${d.renamed} renamed, ${d.unchanged} unchanged`,
              ...d.files.map((f) => `${f.status} ${safe(f.oldPath && f.oldPath !== f.path ? `${f.oldPath} -> ${f.path}` : f.path)}${f.binary ? ' (binary)' : ''}${f.truncated ? ' (diff too large)' : ''}${f.unified ? `\n${safe(f.unified, { multiline: true }).trimEnd()}` : ''}`)].join('\n')).join('\n\n')
          : `#s${res.submission} has no parents: compare with --against N`);
    },
  },
  {
    name: 'submissions stage',
    args: '<id> [--off]',
    summary: 'Offer my submission for someone with quota to run (quota pooling), or withdraw the offer.',
    options: { off: { type: 'boolean' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<id>');
      const res = await c.authed().call('setSubmissionStaged', { params: { collab: c.collab(), id }, body: { staged: !a.flag('off') } });
      c.print(res, () => (res.staged ? `${res.ref} is staged: anyone with quota can run it with \`agora jobs run ${res.id}\`` : `${res.ref} is no longer staged`));
    },
  },
  {
    name: 'submissions download',
    args: '<id> [--out FILE]',
    summary: 'Download a submission\'s canonical bundle (tar.gz; large artifacts are fetched by hash).',
    options: { out: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<id>');
      const out = a.str('out') ?? `s${id}.tar.gz`;
      const n = await download(c, 'downloadBundle', { collab: c.collab(), id }, out);
      c.print({ id, out, bytes: n }, () => `wrote ${n} bytes to ${out} (unpack: mkdir s${id} && tar -xzf ${out} -C s${id})`);
    },
  },
  {
    name: 'submissions file',
    args: '<id> <path>',
    summary: 'Print one file of a submission\'s bundle.',
    async run(c, a) {
      a.atMost(2);
      const id = a.id(0, '<id>');
      const path = a.pos(1, '<path>');
      await printServedFile(c, c.client().path('getSubmissionFile', { collab: c.collab(), id }, { path }), path);
    },
  },
];
