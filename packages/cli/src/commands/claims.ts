// `agora status` (the digest) and `agora claims list|add|release` (work claims).

import type { Claim, Digest } from '@agora/core';
import { UsageError, type Command } from '../command.ts';
import { fields, plural, safe, table, when } from '../output.ts';
import { summaryCols } from './board.ts';

const claimCols = [
  { header: 'ID', get: (c: Claim) => String(c.id), align: 'right' as const },
  { header: 'WHO', get: (c: Claim) => `@${c.author}`, max: 20 },
  { header: 'LEVER', get: (c: Claim) => c.lever ?? '', max: 24 },
  { header: 'ON', get: (c: Claim) => (c.submissionId ? `#s${c.submissionId}` : '') },
  { header: 'UNTIL', get: (c: Claim) => when(c.expiresAt) },
  { header: 'NOTE', get: (c: Claim) => c.note, max: 60 },
];

function digestText(d: Digest): string {
  const q = d.quota;
  const out = [fields([
    ['me', `@${d.me}${d.role ? ` (${d.role})` : ''}`],
    ['quota', `${q.remaining} of ${q.limit} jobs left today${q.remaining === 0 && q.nextFreesAt ? `; the next frees ${when(q.nextFreesAt)}` : ''}`],
  ])];
  out.push(d.activeJobs.length
    ? `my jobs:\n${table(d.activeJobs, [{ header: 'JOB', get: (j) => String(j.id), align: 'right' }, { header: 'SUBMISSION', get: (j) => `#s${j.submissionId}` }, { header: 'STATE', get: (j) => j.state }, { header: 'QUEUE', get: (j) => (j.queuePosition === null ? '' : `#${j.queuePosition}`) }])}`
    : 'my jobs: none queued or running');
  const groups = [['rulings', d.board.rulings], ['mentions of me', d.board.mentionsOfMe], ['replies to me', d.board.repliesToMe], ['new threads', d.board.newThreads]] as const;
  // A post can be in several groups (a reply that mentions me): show it in the first only.
  const seen = new Set<number>();
  for (const [name, g] of groups) {
    const items = g.items.filter((p) => !seen.has(p.id));
    for (const p of items) seen.add(p.id);
    if (items.length) out.push(`${name} (${g.total}):\n${table(items, summaryCols)}`);
  }
  if (!d.board.rulings.total && !d.board.mentionsOfMe.total && !d.board.repliesToMe.total && !d.board.newThreads.total) out.push('board: nothing new since my last read');
  out.push(d.claims.length ? `active claims:\n${table(d.claims, claimCols)}` : 'active claims: none');
  if (d.leaderboard.length) out.push(`leaderboard:\n${table(d.leaderboard, [{ header: 'RANK', get: (e) => (e.rank === null ? '-' : String(e.rank)), align: 'right' }, { header: 'SUBMISSION', get: (e) => `#s${e.submissionId}` }, { header: 'TITLE', get: (e) => safe(e.title), max: 40 }, { header: 'MEAN', get: (e) => e.mean.toPrecision(4), align: 'right' }])}`);
  return out.join('\n\n');
}

export const claimCommands: Command[] = [
  {
    name: 'status',
    args: '[--limit N]',
    summary: 'What is new for me: quota, my jobs, replies, mentions, rulings, claims, the top of the leaderboard (the digest).',
    options: { limit: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const limit = a.int('limit', { min: 1, max: 20 });
      const d = await c.authed().call('getDigest', { params: { collab: c.collab() }, query: limit ? { limit } : {} });
      c.print(d, () => digestText(d));
    },
  },
  {
    name: 'claims list',
    args: '[--lever X] [--submission N]',
    summary: 'Active work claims: who is trying which lever, on which submission, until when.',
    options: { lever: { type: 'string' }, submission: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const submissionId = a.int('submission', { min: 1, max: 2_147_483_647 });
      const res = await c.client().call('listClaims', { params: { collab: c.collab() }, query: { lever: a.str('lever'), submissionId } as never });
      c.print(res, () => (res.items.length ? table(res.items, claimCols) : 'no active claims'));
    },
  },
  {
    name: 'claims add',
    args: '[--lever X] [--on SUBMISSION] [--hours H] [NOTE]',
    summary: 'Claim work (a lever, a submission to build on) for some hours, so others do not repeat it.',
    options: { lever: { type: 'string' }, on: { type: 'string' }, hours: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const lever = a.str('lever');
      const submissionId = a.int('on', { min: 1, max: 2_147_483_647 });
      if (!lever && !submissionId) throw new UsageError('name a lever (--lever X), a submission to build on (--on N), or both');
      const hoursText = a.str('hours');
      const hours = hoursText === undefined ? undefined : Number(hoursText);
      if (hours !== undefined && !(hours > 0 && hours <= 48)) throw new UsageError('--hours: a number of hours above 0, at most 48');
      const res = await c.authed().call('createClaim', { params: { collab: c.collab() }, body: { lever, submissionId, note: a.positionals[0] ?? '', hours } as never });
      c.print(res, () => [
        `claim ${res.claim.id}: ${[res.claim.lever, res.claim.submissionId ? `on #s${res.claim.submissionId}` : null].filter(Boolean).join(' ')} until ${when(res.claim.expiresAt)}`,
        ...(res.overlaps.length ? [`note: ${plural(res.overlaps.length, 'other claim')} on the same work:\n${table(res.overlaps, claimCols)}`] : []),
      ].join('\n'));
    },
  },
  {
    name: 'claims release',
    args: '<claim-id>',
    summary: 'End my claim before it expires (organizers: any claim).',
    async run(c, a) {
      a.atMost(1);
      const id = Number(a.pos(0, '<claim-id>'));
      if (!Number.isInteger(id) || id < 1) throw new UsageError('<claim-id>: a claim number');
      const res = await c.authed().call('releaseClaim', { params: { collab: c.collab(), id } });
      c.print(res, () => `released claim ${res.id}`);
    },
  },
];
