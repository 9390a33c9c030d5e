// `agora kb ...`: list, get, create, edit, history, diff, revert, search.

import { PAGE_CATEGORIES } from '@agora/core';
import { AgoraApiError } from '@agora/sdk';
import { UsageError, type Args, type Command } from '../command.ts';
import { fields, indent, nextPage, safe, table, when } from '../output.ts';

function category(a: Args, required: boolean): (typeof PAGE_CATEGORIES)[number] | undefined {
  const v = a.str('category');
  if (v === undefined) {
    if (required) throw new UsageError(`missing --category (${PAGE_CATEGORIES.join(', ')})`);
    return undefined;
  }
  if (!(PAGE_CATEGORIES as readonly string[]).includes(v)) throw new UsageError(`--category is one of ${PAGE_CATEGORIES.join(', ')}`);
  return v as (typeof PAGE_CATEGORIES)[number];
}

const pageCols = [
  { header: 'SLUG', get: (p: { slug: string }) => p.slug, max: 40 },
  { header: 'CATEGORY', get: (p: { category: string }) => p.category },
  { header: 'REV', get: (p: { currentRevision: number }) => p.currentRevision, align: 'right' as const },
  { header: 'UPDATED', get: (p: { updatedBy: string; updatedAt: string }) => `${when(p.updatedAt)} @${p.updatedBy}` },
  { header: 'TITLE', get: (p: { title: string }) => p.title, max: 70 },
];

/**
 * The server speaks of its body field (`retry with baseRevision 2`); a CLI user types `--base 2`.
 * Rewrites the refusal in the flag's words, keeping code, status and details for --json.
 */
function inFlagWords(e: unknown): unknown {
  if (!(e instanceof AgoraApiError) || !/baseRevision/.test(e.message)) return e;
  return new AgoraApiError(e.status, e.code, e.message.replace(/\bbaseRevision (\d+)/g, '--base $1').replace(/\bbaseRevision\b/g, '--base'), e.details);
}

const bodyOptions = { title: { type: 'string' }, category: { type: 'string' }, summary: { type: 'string' }, file: { type: 'string' } } as const;

export const kbCommands: Command[] = [
  {
    name: 'kb list',
    args: '[--category C] [--links-to #s12|#p45|slug] [--limit N] [--cursor C]',
    summary: 'Knowledge-base pages by slug.',
    options: { category: { type: 'string' }, 'links-to': { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const cat = category(a, false);
      const linksTo = a.str('links-to');
      const limit = a.int('limit', { min: 1, max: 200 });
      const cursor = a.str('cursor');
      const res = await c.client().call('listPages', { params: { collab: c.collab() }, query: { ...(cat ? { category: cat } : {}), ...(linksTo ? { linksTo } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) } });
      c.print(res, () => (res.items.length ? table(res.items, pageCols) + nextPage(res.nextCursor) : `no pages yet: \`${c.cmd('kb create SLUG --title T --category playbook --file page.md')}\``));
    },
  },
  {
    name: 'kb get',
    args: '<slug> [--revision N] [--raw]',
    summary: 'A page (markdown as written) with its links and backlinks; --raw prints only the markdown.',
    options: { revision: { type: 'string' }, raw: { type: 'boolean' } },
    async run(c, a) {
      a.atMost(1);
      const slug = a.pos(0, '<slug>');
      const revision = a.int('revision', { min: 1, max: 2_147_483_647 });
      const res = await c.client().call('getPage', { params: { collab: c.collab(), slug }, query: revision ? { revision } : {} });
      if (a.flag('raw') && !c.json) {
        c.io.stdout(res.revision.body);
        return;
      }
      c.print(res, () =>
        [
          fields([
            ['page', res.page.slug], ['title', res.revision.title], ['category', res.revision.category],
            ['revision', `${res.revision.number} of ${res.page.currentRevision} by @${res.revision.author} at ${when(res.revision.createdAt)}`],
            ['links to', [...res.links.pages.map((p) => `[[${p.slug}]]`), ...res.links.submissions.map((s) => `#s${s}`), ...res.links.posts.map((p) => `#p${p}`)].join(' ')],
            ['linked from', [...res.linkedFrom.map((p) => `[[${p.slug}]]`), ...res.linkedFromPosts.map((p) => `#p${p}`)].join(' ')],
          ]),
          '',
          indent(res.revision.body, ''),
          '',
          `edit against this revision: ${c.cmd(`kb edit ${res.page.slug} --base ${res.revision.number} --file page.md`)}`,
        ].join('\n'));
    },
  },
  {
    name: 'kb create',
    args: '<slug> --title T --category C [--summary S] (BODY | --file F | -)',
    summary: 'Create a page (revision 1); [[slug]], #s12 and #p45 must name things that exist.',
    options: bodyOptions,
    async run(c, a) {
      a.atMost(2);
      const slug = a.pos(0, '<slug>');
      const body = (await c.text(a, 1, 'body'))!;
      const summary = a.str('summary');
      const res = await c.authed().call('createPage', {
        params: { collab: c.collab() },
        body: { slug, title: a.need('title'), category: category(a, true)!, body, ...(summary !== undefined ? { summary } : {}) },
      });
      c.print(res, () => `created [[${res.page.slug}]] (revision ${res.revision.number})`);
    },
  },
  {
    name: 'kb edit',
    args: '<slug> --base N [--title T] [--category C] [--summary S] [BODY | --file F | -]',
    summary: 'A new revision made against revision N; if the page moved on you get the diff to merge (409 edit_conflict).',
    options: { ...bodyOptions, base: { type: 'string' } },
    async run(c, a) {
      a.atMost(2);
      const slug = a.pos(0, '<slug>');
      const base = a.int('base', { min: 1, max: 2_147_483_647 });
      if (base === undefined) throw new UsageError(`missing --base N: the revision your text is based on (\`${c.cmd(`kb get ${slug}`)}\` shows it)`);
      const body = await c.text(a, 1, 'body', { optional: true });
      const title = a.str('title');
      const cat = category(a, false);
      const summary = a.str('summary');
      if (body === undefined && title === undefined && cat === undefined) throw new UsageError('nothing to change: give a body, --title or --category');
      try {
        const res = await c.authed().call('editPage', {
          params: { collab: c.collab(), slug },
          body: { baseRevision: base, ...(body !== undefined ? { body } : {}), ...(title ? { title } : {}), ...(cat ? { category: cat } : {}), ...(summary !== undefined ? { summary } : {}) },
        });
        c.print(res, () => `[[${res.page.slug}]] is now at revision ${res.revision.number}`);
      } catch (e) {
        // The conflict's details carry the diff from base to current: show it so the edit can be merged.
        if (e instanceof AgoraApiError && e.code === 'edit_conflict' && !c.json) {
          const d = e.details as { diff?: { unified?: string } } | null;
          if (d?.diff?.unified) c.note(`changes since revision ${base}:\n${indent(d.diff.unified, '')}`);
        }
        throw inFlagWords(e);
      }
    },
  },
  {
    name: 'kb history',
    args: '<slug> [--limit N] [--cursor C]',
    summary: 'Every revision of a page with its author, newest first.',
    options: { limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const slug = a.pos(0, '<slug>');
      const limit = a.int('limit', { min: 1, max: 200 });
      const cursor = a.str('cursor');
      const res = await c.client().call('listPageRevisions', { params: { collab: c.collab(), slug }, query: { ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) } });
      c.print(res, () =>
        table(res.items, [
          { header: 'REV', get: (r) => r.number, align: 'right' },
          { header: 'AUTHOR', get: (r) => `@${r.author}` },
          { header: 'WHEN', get: (r) => when(r.createdAt) },
          { header: 'BYTES', get: (r) => r.bytes, align: 'right' },
          { header: 'SUMMARY', get: (r) => (r.revertedFrom ? `revert to ${r.revertedFrom}${r.summary ? `: ${r.summary}` : ''}` : r.summary), max: 70 },
        ]) + nextPage(res.nextCursor));
    },
  },
  {
    name: 'kb diff',
    args: '<slug> [--from N] [--to N] [--context N]',
    summary: 'A unified diff between two revisions (default: the previous and the current).',
    options: { from: { type: 'string' }, to: { type: 'string' }, context: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const slug = a.pos(0, '<slug>');
      const from = a.int('from', { min: 1, max: 2_147_483_647 });
      const to = a.int('to', { min: 1, max: 2_147_483_647 });
      const context = a.int('context', { min: 0, max: 100 });
      const res = await c.client().call('diffPage', { params: { collab: c.collab(), slug }, query: { ...(from ? { from } : {}), ...(to ? { to } : {}), ...(context !== undefined ? { context } : {}) } });
      c.print(res, () =>
        [
          `[[${res.slug}]] revision ${res.from} -> ${res.to}: +${res.added} -${res.removed}`,
          ...(res.title ? [`title: ${safe(res.title.from)} -> ${safe(res.title.to)}`] : []),
          ...(res.category ? [`category: ${res.category.from} -> ${res.category.to}`] : []),
          res.unified ? safe(res.unified, { multiline: true }).trimEnd() : '(bodies are equal)',
        ].join('\n'));
    },
  },
  {
    name: 'kb revert',
    args: '<slug> --to N --base M [--summary S]',
    summary: 'Restore revision N as a new revision (made against the current revision M).',
    options: { to: { type: 'string' }, base: { type: 'string' }, summary: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const slug = a.pos(0, '<slug>');
      const revision = a.int('to', { min: 1, max: 2_147_483_647 });
      const base = a.int('base', { min: 1, max: 2_147_483_647 });
      if (revision === undefined || base === undefined) throw new UsageError('give --to N (the revision to restore) and --base M (the current revision)');
      const summary = a.str('summary');
      const res = await c
        .authed()
        .call('revertPage', { params: { collab: c.collab(), slug }, body: { revision, baseRevision: base, ...(summary !== undefined ? { summary } : {}) } })
        .catch((e: unknown) => {
          throw inFlagWords(e);
        });
      c.print(res, () => `[[${res.page.slug}]] restored revision ${revision} as revision ${res.revision.number}`);
    },
  },
  {
    name: 'kb search',
    args: '<query> [--category C] [--limit N] [--cursor C]',
    summary: 'Full-text search of the pages\' current revisions.',
    options: { category: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      const q = a.positionals.join(' ').trim();
      if (!q) throw new UsageError('missing <query>');
      const cat = category(a, false);
      const limit = a.int('limit', { min: 1, max: 100 });
      const cursor = a.str('cursor');
      const res = await c.client().call('searchPages', { params: { collab: c.collab() }, query: { q, ...(cat ? { category: cat } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) } });
      c.print(res, () =>
        res.items.length
          ? res.items.map((h) => `[[${h.slug}]] ${safe(h.title)} (${h.category}, revision ${h.currentRevision})\n  ${safe(h.snippet)}`).join('\n') + nextPage(res.nextCursor)
          : `nothing matches ${JSON.stringify(safe(q))}`);
    },
  },
];
