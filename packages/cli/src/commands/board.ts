// `agora board ...`: post, reply, read, search, new, edit, hide, revisions, mark-read.

import type { Post, PostSummary } from '@agora/core';
import { UsageError, type Command } from '../command.ts';
import { indent, nextPage, plural, safe, table, when } from '../output.ts';

/**
 * The dashboard's page of a post, what a person can open in a browser (the API's own `url` answers
 * JSON). The web serves `/c/<collab>/posts/<id>`: docs/decisions/0117-dashboard-post-address.md.
 */
export const postPage = (base: string, collab: string, id: number) => `${base.replace(/\/+$/, '')}/c/${encodeURIComponent(collab)}/posts/${id}`;

/** Why a post is in `board new`, in the words of its group (singular, for the "also" note). */
const REASONS = { rulings: 'a ruling', 'mentions of me': 'mentions me', 'replies to me': 'a reply to me', 'new threads': 'a new thread' } as const;
type Group = keyof typeof REASONS;

/**
 * `board new` in text: each post once, in the first group it belongs to, with a note of the
 * other groups it is also in (the server lists it under each reason; --json keeps that).
 */
export function newsText(groups: Array<[Group, { total: number; totalCapped?: boolean; items: PostSummary[] }]>): string[] {
  const reasons = new Map<number, Group[]>();
  for (const [name, g] of groups) for (const p of g.items) reasons.set(p.id, [...(reasons.get(p.id) ?? []), name]);
  const seen = new Set<number>();
  const out: string[] = [];
  for (const [name, g] of groups) {
    const fresh = g.items.filter((p) => !seen.has(p.id));
    const repeated = g.items.length - fresh.length;
    for (const p of fresh) seen.add(p.id);
    if (!fresh.length && g.total <= g.items.length) continue;
    const counts = [`${g.total}${g.totalCapped ? '+' : ''}`, ...(g.items.length < g.total ? [`showing ${g.items.length}`] : []), ...(repeated ? [`${repeated} listed above`] : [])];
    const cols = [
      ...summaryCols,
      { header: 'ALSO', get: (p: PostSummary) => (reasons.get(p.id) ?? []).filter((r) => r !== name).map((r) => REASONS[r]).join(', ') },
    ];
    const hasAlso = fresh.some((p) => (reasons.get(p.id) ?? []).length > 1);
    out.push(`${name} (${counts.join(', ')}):\n${fresh.length ? table(fresh, hasAlso ? cols : summaryCols) : '  (all listed above)'}`);
  }
  return out;
}

function postText(p: Post): string {
  const head = [
    `#p${p.id}${p.replyTo ? ` (reply to #p${p.replyTo})` : ''} by @${p.author} at ${when(p.createdAt)}${p.editedAt ? `, edited ${when(p.editedAt)} (revision ${p.revision})` : ''}`,
    ...(p.title ? [`  ${safe(p.title)}`] : []),
    ...(p.tags.length ? [`  tags: ${p.tags.join(', ')}`] : []),
  ];
  if (p.hidden) head.push(`  [hidden by @${p.hidden.by} at ${when(p.hidden.at)}: ${safe(p.hidden.reason)}]`);
  return [...head, ...(p.body !== null ? ['', indent(p.body, '  ')] : [])].join('\n');
}

export const summaryCols = [
  { header: 'ID', get: (p: PostSummary) => `#p${p.id}`, align: 'right' as const },
  { header: 'AUTHOR', get: (p: PostSummary) => `@${p.author}`, max: 20 },
  { header: 'WHEN', get: (p: PostSummary) => when(p.createdAt) },
  { header: 'TAGS', get: (p: PostSummary) => p.tags.join(','), max: 24 },
  { header: 'TITLE / EXCERPT', get: (p: PostSummary) => (p.hidden ? `[hidden: ${p.hidden.reason}]` : (p.title ?? p.excerpt)), max: 80 },
];

const postOptions = { title: { type: 'string' }, tag: { type: 'string', multiple: true }, file: { type: 'string' } } as const;

export const boardCommands: Command[] = [
  {
    name: 'board post',
    args: '--title T [--tag X]... (BODY | --file F | -)',
    summary: 'Start a thread. @handle, #s12, #p45 and [[page]] in the body link to what they name. Tags: result, proposal, question, dead-end, free ones; `ruling` is for organizers (`agora rule`; report a problem with `agora flag`).',
    options: postOptions,
    async run(c, a) {
      a.atMost(1);
      const title = a.need('title', `--title (a new thread needs one; \`${c.cmd('board reply ID')}\` answers a post)`);
      const body = (await c.text(a, 0, 'body'))!;
      const client = c.authed();
      const collab = c.collab();
      const res = await client.call('createPost', { params: { collab }, body: { title, body, tags: a.list('tag') } });
      c.print(res, () => `posted #p${res.id}: ${postPage(client.url, collab, res.id)}`);
    },
  },
  {
    name: 'board reply',
    args: '<post-id> [--tag X]... (BODY | --file F | -)',
    summary: 'Reply to a post (in its thread).',
    options: { tag: postOptions.tag, file: postOptions.file },
    async run(c, a) {
      a.atMost(2);
      const replyTo = a.id(0, '<post-id>');
      const body = (await c.text(a, 1, 'body'))!;
      const client = c.authed();
      const collab = c.collab();
      const res = await client.call('createPost', { params: { collab }, body: { replyTo, body, tags: a.list('tag') } });
      c.print(res, () => `replied #p${res.id} in thread #p${res.threadId}: ${postPage(client.url, collab, res.id)}`);
    },
  },
  {
    name: 'board read',
    args: '[<post-id>] [--tag X] [--author H] [--limit N] [--cursor C]',
    summary: 'Without an id: the threads, newest first. With one: the post and its thread.',
    options: { tag: { type: 'string' }, author: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const client = c.client();
      const collab = c.collab();
      const limit = a.int('limit', { min: 1, max: 200 });
      const cursor = a.str('cursor');
      if (a.positionals[0] !== undefined) {
        const id = a.id(0, '<post-id>');
        const res = await client.call('getPost', { params: { collab, id }, query: { ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) } });
        c.print(res, () => {
          const parts = [postText(res.thread)];
          if (res.post.id !== res.thread.id && !res.replies.items.some((r) => r.id === res.post.id)) parts.push(postText(res.post));
          for (const r of res.replies.items) parts.push(postText(r));
          return parts.join('\n\n---\n') + nextPage(res.replies.nextCursor);
        });
        return;
      }
      const tag = a.str('tag');
      const author = a.str('author')?.replace(/^@/, '');
      const res = await client.call('listThreads', { params: { collab }, query: { ...(tag ? { tag } : {}), ...(author ? { author } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) } });
      c.print(res, () =>
        res.items.length
          ? table(res.items, [...summaryCols.slice(0, 4), { header: 'REPLIES', get: (t) => t.replyCount, align: 'right' }, { header: 'LAST', get: (t) => when(t.lastActivityAt) }, summaryCols[4]!]) + nextPage(res.nextCursor)
          : `no threads yet: \`${c.cmd('board post --title T BODY')}\` starts one`);
    },
  },
  {
    name: 'board search',
    args: '<query> [--tag X] [--limit N] [--cursor C]',
    summary: 'Full-text search of the board ("phrase", or, -not).',
    options: { tag: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      const q = a.positionals.join(' ').trim();
      if (!q) throw new UsageError('missing <query>');
      const tag = a.str('tag');
      const limit = a.int('limit', { min: 1, max: 100 });
      const cursor = a.str('cursor');
      const res = await c.client().call('searchPosts', { params: { collab: c.collab() }, query: { q, ...(tag ? { tag } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) } });
      c.print(res, () => (res.items.length ? table(res.items, summaryCols) + nextPage(res.nextCursor) : `nothing matches ${JSON.stringify(safe(q))}`));
    },
  },
  {
    name: 'board new',
    args: '[--limit N] [--mark-read]',
    summary: 'What is new for me: new threads, replies to me, mentions, rulings; --mark-read moves my read cursor past them.',
    options: { limit: { type: 'string' }, 'mark-read': { type: 'boolean' } },
    async run(c, a) {
      a.atMost(0);
      const client = c.authed();
      const collab = c.collab();
      const limit = a.int('limit', { min: 1, max: 100 });
      const res = await client.call('boardNew', { params: { collab }, query: limit ? { limit } : {} });
      const marked = a.flag('mark-read') && res.upTo > res.since ? await client.call('markRead', { params: { collab }, body: { upTo: res.upTo } }) : null;
      c.print(marked ? { ...res, markedRead: marked } : res, () => {
        const out = newsText([
          ['rulings', res.rulings], ['mentions of me', res.mentionsOfMe], ['replies to me', res.repliesToMe], ['new threads', res.newThreads],
        ]);
        if (!out.length) return res.since > 0 ? `nothing new (you have read up to #p${res.since})` : 'nothing new';
        out.push(marked ? `marked read up to #p${marked.lastReadPostId}` : `mark as read: ${c.cmd('board new --mark-read')} (or ${c.cmd(`board mark-read --up-to ${res.upTo}`)})`);
        return out.join('\n\n');
      });
    },
  },
  {
    name: 'board mark-read',
    args: '[--up-to POST-ID]',
    summary: 'Move my read cursor forward (default: to the newest post).',
    options: { 'up-to': { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const upTo = a.int('up-to', { min: 1, max: 2_147_483_647 });
      const res = await c.authed().call('markRead', { params: { collab: c.collab() }, body: upTo ? { upTo } : {} });
      c.print(res, () => `read up to #p${res.lastReadPostId}`);
    },
  },
  {
    name: 'board edit',
    args: '<post-id> [--title T] [--tag X]... [--expected-revision N] [BODY | --file F | -]',
    summary: 'Edit my post (organizers: any); the earlier text stays in its revisions.',
    options: { ...postOptions, 'expected-revision': { type: 'string' }, 'clear-tags': { type: 'boolean' } },
    async run(c, a) {
      a.atMost(2);
      const id = a.id(0, '<post-id>');
      const body = await c.text(a, 1, 'body', { optional: true });
      const title = a.str('title');
      const tags = a.list('tag');
      const expected = a.int('expected-revision', { min: 1 });
      if (body === undefined && title === undefined && !tags.length && !a.flag('clear-tags')) throw new UsageError('nothing to change: give a body, --title, --tag or --clear-tags');
      const res = await c.authed().call('editPost', {
        params: { collab: c.collab(), id },
        body: {
          ...(body !== undefined ? { body } : {}), ...(title !== undefined ? { title } : {}),
          ...(tags.length || a.flag('clear-tags') ? { tags } : {}), ...(expected ? { expectedRevision: expected } : {}),
        },
      });
      c.print(res, () => `edited #p${res.id}: now revision ${res.revision}`);
    },
  },
  {
    name: 'board hide',
    args: '<post-id> --reason R',
    summary: 'Organizers: hide a post with a public reason (never erased).',
    options: { reason: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<post-id>');
      const res = await c.authed().call('hidePost', { params: { collab: c.collab(), id }, body: { reason: a.need('reason') } });
      c.print(res, () => `hid #p${res.id}: ${safe(res.hidden?.reason ?? '')}`);
    },
  },
  {
    name: 'board revisions',
    args: '<post-id> [--limit N] [--cursor C]',
    summary: 'Every revision of a post, newest first.',
    options: { limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<post-id>');
      const limit = a.int('limit', { min: 1, max: 100 });
      const cursor = a.str('cursor');
      const res = await c.client().call('listRevisions', { params: { collab: c.collab(), id }, query: { ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) } });
      c.print(res, () =>
        res.items.map((r) => `revision ${r.revision} by @${r.editor} at ${when(r.createdAt)}${r.title ? `: ${safe(r.title)}` : ''}${r.body !== null ? `\n${indent(r.body)}` : ''}`).join('\n\n') +
        `\n(${plural(res.items.length, 'revision')})${nextPage(res.nextCursor)}`);
    },
  },
];
