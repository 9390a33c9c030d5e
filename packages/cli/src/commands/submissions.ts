// `agora submit DIR` and `agora submissions list|show|diff|stage|file`.

import { bundlePathProblem } from '@agora/core';
import { submitFolder, type SubmissionCreated } from '@agora/sdk/local';
import { UsageError, type Command, type Ctx } from '../command.ts';
import { watchJob } from './watch.ts';
import { download, printServedFile } from './artifacts.ts';
import { fields, indent, nextPage, plural, safe, table, when } from '../output.ts';

function createdText(c: Ctx, res: SubmissionCreated): string {
  const s = res.submission;
  return [
    `submitted #s${s.id}: ${safe(s.title)} (${plural(s.fileCount, 'file')}, ${s.totalBytes} bytes${s.staged ? ', staged for sponsors' : ''})`,
    ...(res.duplicateOf ? [`note: same fingerprint as #s${res.duplicateOf.id} by @${res.duplicateOf.author} (${safe(res.duplicateOf.title)})`] : []),
    ...res.suggestedParents.map((p) => `suggested parent: #s${p.id} by @${p.author} (${Math.round(p.similarity * 100)}% similar, ${p.sharedFiles} shared files): declare it with --parent ${p.id} if you built on it`),
    `check it starts, free: ${c.cmd(`submissions smoke ${s.id}`)}`,
    `run it: ${c.cmd(`jobs run ${s.id}`)}`,
  ].join('\n');
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
      const meta = { title, description, parents: parents.map(Number), levers, credits: credits.map((handle) => ({ handle })), artifacts, staged: a.flag('stage') };
      const res = await submitFolder(c.authed(), c.collab(), dir, meta, { note: (s) => c.note(s) });
      c.print(res, () => createdText(c, res));
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
          : `no submissions yet: \`${c.cmd('submit DIR --title T')}\``);
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
      c.print(res, () => (res.staged ? `${res.ref} is staged: anyone with quota can run it with \`${c.cmd(`jobs run ${res.id}`)}\`` : `${res.ref} is no longer staged`));
    },
  },
  {
    name: 'submissions smoke',
    args: '<id> [--no-wait]',
    summary: 'A free smoke run: start the submission and send it one untimed public request, to learn that its server starts before spending a job (never charged, never ranked; a few a day). Waits for the verdict unless --no-wait.',
    options: { 'no-wait': { type: 'boolean' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<id>');
      const collab = c.collab();
      const job = await c.authed().call('smokeRun', { params: { collab, id } });
      if (a.flag('no-wait')) return c.print(job, () => `smoke run queued as job #${job.id} (never charged, never ranked): ${c.cmd(`jobs watch ${job.id}`)}`);
      const done = await watchJob(c, collab, job.id, { logs: false });
      c.print(done, () => `smoke run #${done.id} of #s${id}: ${done.state === 'succeeded' ? 'passed' : done.state}${done.reason ? `: ${done.reason}` : ''}${done.state === 'succeeded' ? `\nscore it: ${c.cmd(`jobs run ${id}`)}` : `\nits log: ${c.cmd(`jobs logs ${done.id}`)}`}`);
      return done.state === 'succeeded' ? 0 : 1;
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
