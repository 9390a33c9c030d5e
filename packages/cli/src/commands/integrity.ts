// `agora flag`, `agora flags [show]`, `agora rule`, `agora rulings [show]`, `agora withdraw`, `agora audit`,
// `agora lineage`, `agora frontier`, `agora progress`, `agora schedule`, `agora standings [publish]`,
// `agora verify`, `agora verifications [show|override]`.

import { FLAG_CATEGORIES, type Flag, type Ruling, type Verification } from '@agora/core';
import { UsageError, type Command } from '../command.ts';
import { indent, nextPage, safe, table, when } from '../output.ts';

const num = (x: number | null | undefined) => (x === null || x === undefined ? '-' : Number(x.toPrecision(5)).toString());
const ids = (xs: number[]) => (xs.length ? xs.map((x) => `#s${x}`).join(', ') : '-');

function flagText(f: Flag): string {
  return [`#f${f.id} on ${f.target.ref}: ${f.category}, ${f.state}${f.rulingId ? ` (ruling ${f.rulingId})` : ''}, by @${f.reporter} at ${when(f.createdAt)}`, '', indent(f.evidence)].join('\n');
}

function verificationText(v: Verification): string {
  const what = v.verdict === 'diverged' ? `diverged (${v.diverged.join(', ')}${v.failedGuardrails.length ? `: ${v.failedGuardrails.join(', ')}` : ''})` : v.verdict ?? v.state;
  return [
    `verification ${v.id} of #s${v.submissionId}: ${what}${v.override ? ` (set by @${v.override.by}: ${v.override.reason})` : ''}`,
    `  job ${v.jobId} on ${v.split}, ${v.reason.replace('_', ' ')}, requested by @${v.requestedBy} at ${when(v.createdAt)}${v.decidedAt ? `, decided ${when(v.decidedAt)}` : ''}${v.postId ? `, announced in #p${v.postId}` : ''}`,
    ...(v.ratio !== null ? [`  private / public: ${num(v.ratio)}`] : []),
    ...(v.detail ? [`  ${v.detail}`] : []),
  ].join('\n');
}

function rulingText(r: Ruling): string {
  return [
    `ruling ${r.id} (${r.kind}) by @${r.organizer} at ${when(r.createdAt)}: ${safe(r.title)}`,
    `  post: #p${r.postId}   flags: ${r.flags.map((f) => `#f${f}`).join(', ') || '-'}${r.lever ? `   lever: ${r.lever}` : ''}${r.revokes ? `   revokes: ruling ${r.revokes}` : ''}`,
    `  invalidated: ${ids(r.invalidated)}   reinstated: ${ids(r.reinstated)}`,
    '',
    indent(r.text),
  ].join('\n');
}

const reachOptions = { lever: { type: 'string' }, flag: { type: 'string', multiple: true }, revokes: { type: 'string' }, title: { type: 'string' }, file: { type: 'string' } } as const;

export const integrityCommands: Command[] = [
  {
    name: 'flag',
    args: `(<submission-id> | --post ID) --category (${FLAG_CATEGORIES.join('|')}) (EVIDENCE | --file F | -)`,
    summary: 'Flag a submission or a post for the organizers, with evidence. They answer with a ruling: a pinned post tagged `ruling`.',
    options: { post: { type: 'string' }, category: { type: 'string' }, file: { type: 'string' } },
    async run(c, a) {
      const post = a.int('post', { min: 1, max: 2_147_483_647 });
      const onPost = post !== undefined;
      a.atMost(onPost ? 1 : 2);
      const category = a.need('category', `--category (one of ${FLAG_CATEGORIES.join(', ')})`);
      if (!(FLAG_CATEGORIES as readonly string[]).includes(category)) throw new UsageError(`--category is one of ${FLAG_CATEGORIES.join(', ')}, not ${JSON.stringify(category)}`);
      const target = onPost ? { post } : { submission: a.id(0, '<submission-id>') };
      const evidence = (await c.text(a, onPost ? 0 : 1, 'evidence'))!;
      const f = await c.authed().call('createFlag', { params: { collab: c.collab() }, body: { ...target, category: category as Flag['category'], evidence } });
      c.print(f, () => `flagged ${f.target.ref} as ${f.category}: #f${f.id} is in the organizers' queue (\`${c.cmd(`flags show ${f.id}`)}\`)`);
    },
  },
  {
    name: 'flags',
    args: '[--state open|upheld|dismissed] [--submission ID] [--limit N] [--cursor C]',
    summary: 'The flag queue (organizers: every flag; participants: their own).',
    options: { state: { type: 'string' }, submission: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const state = a.str('state');
      if (state && !['open', 'upheld', 'dismissed'].includes(state)) throw new UsageError('--state is open, upheld or dismissed');
      const submission = a.str('submission')?.replace(/^#?s?/i, '');
      const limit = a.int('limit', { min: 1, max: 200 });
      const cursor = a.str('cursor');
      const res = await c.authed().call('listFlags', {
        params: { collab: c.collab() },
        query: { ...(state ? { state: state as Flag['state'] } : {}), ...(submission ? { submission: Number(submission) } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) },
      });
      c.print(res, () => res.items.length
        ? table(res.items, [
          { header: 'FLAG', get: (f) => `#f${f.id}`, align: 'right' }, { header: 'ON', get: (f) => f.target.ref }, { header: 'CATEGORY', get: (f) => f.category },
          { header: 'STATE', get: (f) => f.state }, { header: 'BY', get: (f) => `@${f.reporter}`, max: 20 }, { header: 'WHEN', get: (f) => when(f.createdAt) },
          { header: 'EVIDENCE', get: (f) => f.evidence.replace(/\s+/g, ' '), max: 60 },
        ]) + nextPage(res.nextCursor)
        : 'no flags');
    },
  },
  {
    name: 'flags show',
    args: '<flag-id>',
    summary: 'One flag with its evidence (organizers, or its reporter).',
    async run(c, a) {
      a.atMost(1);
      const f = await c.authed().call('getFlag', { params: { collab: c.collab(), id: a.id(0, '<flag-id>') } });
      c.print(f, () => flagText(f));
    },
  },
  {
    name: 'rule',
    args: '(uphold|dismiss|reinstate) --title T [--flag ID]... [SUBMISSION-ID...] [--lever L] [--revokes RULING] (--file F | -)',
    summary: 'Organizers: rule, published as a pinned post tagged `ruling`. uphold closes flags and invalidates the submissions named (with --lever, every descendant carrying it too); dismiss closes flags; reinstate makes the named submissions (or all that --revokes RULING invalidated) valid again.',
    options: reachOptions,
    async run(c, a) {
      const kind = a.pos(0, 'uphold, dismiss or reinstate');
      if (!['uphold', 'dismiss', 'reinstate'].includes(kind)) throw new UsageError(`the first argument is uphold, dismiss or reinstate, not ${JSON.stringify(kind)}`);
      const title = a.need('title', '--title (the pinned post\'s title)');
      const subs = a.positionals.slice(1).filter((p) => p !== '-').map((p, i) => {
        const n = Number(p.replace(/^#?s?/i, ''));
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`submission ${i + 1}: ${JSON.stringify(p)} is not a submission id`);
        return n;
      });
      if (a.str('file') === undefined && !a.positionals.includes('-')) throw new UsageError('missing the ruling\'s text: --file F, or - for stdin');
      const text = a.str('file') !== undefined ? (await c.text(a, Number.MAX_SAFE_INTEGER, 'text'))! : await c.io.readStdin();
      const flags = a.list('flag').map((f) => Number(f.replace(/^#?f?/i, '')));
      if (flags.some((f) => !Number.isInteger(f) || f < 1)) throw new UsageError('--flag takes flag ids (3 or #f3)');
      const lever = a.str('lever');
      const revokes = a.int('revokes', { min: 1, max: 2_147_483_647 });
      const reach = subs.length || lever ? { submissions: subs, ...(lever ? { lever } : {}) } : undefined;
      const r = await c.authed().call('createRuling', {
        params: { collab: c.collab() },
        body: {
          kind: kind as Ruling['kind'], title, text, flags,
          // Sent as given: the server says which kinds may invalidate or reinstate.
          ...(reach ? { [kind === 'reinstate' ? 'reinstate' : 'invalidate']: reach } : {}),
          ...(revokes ? { revokes } : {}),
        },
      });
      c.print(r, () => `ruling ${r.id} published as #p${r.postId}; invalidated: ${ids(r.invalidated)}; reinstated: ${ids(r.reinstated)}`);
    },
  },
  {
    name: 'rulings',
    args: '[--submission ID] [--limit N] [--cursor C]',
    summary: 'Rulings, newest first (each is also a pinned post tagged `ruling`).',
    options: { submission: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const submission = a.str('submission');
      const limit = a.int('limit', { min: 1, max: 200 });
      const cursor = a.str('cursor');
      const res = await c.client().call('listRulings', { params: { collab: c.collab() }, query: { ...(submission ? { submission } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) } });
      c.print(res, () => res.items.length
        ? table(res.items, [
          { header: 'RULING', get: (r) => r.id, align: 'right' }, { header: 'KIND', get: (r) => r.kind }, { header: 'POST', get: (r) => `#p${r.postId}` },
          { header: 'BY', get: (r) => `@${r.organizer}` }, { header: 'WHEN', get: (r) => when(r.createdAt) },
          { header: 'INVALIDATED', get: (r) => ids(r.invalidated), max: 40 }, { header: 'REINSTATED', get: (r) => ids(r.reinstated), max: 40 },
          { header: 'TITLE', get: (r) => r.title, max: 50 },
        ]) + nextPage(res.nextCursor)
        : 'no rulings');
    },
  },
  {
    name: 'rulings show',
    args: '<ruling-id>',
    summary: 'One ruling: its text, flags and what it invalidated or reinstated.',
    async run(c, a) {
      a.atMost(1);
      const r = await c.client().call('getRuling', { params: { collab: c.collab(), id: a.id(0, '<ruling-id>') } });
      c.print(r, () => rulingText(r));
    },
  },
  {
    name: 'withdraw',
    args: '<submission-id> [--reason R]',
    summary: 'Withdraw your own submission: it leaves the ranking for good and stays in the lineage, marked withdrawn.',
    options: { reason: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<submission-id>');
      const reason = a.str('reason');
      const res = await c.authed().call('withdrawSubmission', { params: { collab: c.collab(), id }, body: reason ? { reason } : {} });
      c.print(res, () => `withdrew #s${id}: it leaves the ranking and stays in the lineage`);
    },
  },
  {
    name: 'audit',
    args: '[--types a,b] [--limit N] [--cursor C]',
    summary: 'Organizers: every organizer action (rulings, invalidations, hidden posts, grants, verification jobs, ...), newest first.',
    options: { types: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const types = a.str('types');
      const limit = a.int('limit', { min: 1, max: 500 });
      const cursor = a.str('cursor');
      const res = await c.authed().call('auditLog', { params: { collab: c.collab() }, query: { ...(types ? { types } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) } });
      c.print(res, () => res.items.length
        ? table(res.items, [
          { header: 'EVENT', get: (e) => e.eventId, align: 'right' }, { header: 'WHEN', get: (e) => when(e.at) }, { header: 'BY', get: (e) => `@${e.organizer}` },
          { header: 'TYPE', get: (e) => e.type }, { header: 'SUBJECT', get: (e) => e.subject ?? '' }, { header: 'PAYLOAD', get: (e) => JSON.stringify(e.payload), max: 70 },
        ]) + nextPage(res.nextCursor)
        : 'no organizer actions yet');
    },
  },
  {
    name: 'lineage',
    args: '[<submission-id>] [--split public]',
    summary: 'The lineage DAG: each submission with its parents, levers, author, score, rank and tier, badges; invalid and withdrawn ones marked.',
    options: { split: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const of = a.positionals[0] !== undefined ? String(a.id(0, '<submission-id>')) : undefined;
      const split = a.str('split');
      const res = await c.client().call('lineage', { params: { collab: c.collab() }, query: { ...(of ? { of } : {}), ...(split ? { split } : {}) } });
      c.print(res, () => res.nodes.length
        ? table(res.nodes, [
          { header: 'SUB', get: (n) => n.ref }, { header: 'PARENTS', get: (n) => n.parents.map((p) => `#s${p}`).join(',') || '-', max: 24 },
          { header: 'AUTHOR', get: (n) => `@${n.author}`, max: 20 }, { header: 'LEVERS', get: (n) => n.levers.join(','), max: 24 },
          { header: 'MEAN', get: (n) => num(n.scores[0]?.mean), align: 'right' },
          { header: 'RANK', get: (n) => n.scores[0]?.rank ?? '-', align: 'right' }, { header: 'TIER', get: (n) => n.scores[0]?.tier ?? '-', align: 'right' },
          { header: 'STATE', get: (n) => (n.standing.state === 'invalid' && n.standing.invalidatedBy ? `invalid (ruling ${n.standing.invalidatedBy.rulingId}, #p${n.standing.invalidatedBy.postId})` : n.standing.state), max: 40 },
          { header: 'BADGES', get: (n) => n.badges.join(','), max: 30 }, { header: 'TITLE', get: (n) => n.title, max: 40 },
        ])
        : 'no submissions yet');
    },
  },
  {
    name: 'frontier',
    args: '[--split public] [--hardware CLASS]',
    summary: 'The Pareto frontier of the primary metric against each guardrail metric (* marks the front).',
    options: { split: { type: 'string' }, hardware: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const split = a.str('split');
      const hardware = a.str('hardware');
      const res = await c.client().call('frontier', { params: { collab: c.collab() }, query: { ...(split ? { split } : {}), ...(hardware ? { hardware } : {}) } });
      c.print(res, () => res.fronts.map((f) => [
        `${res.metric.name} against ${f.guardrail.name} (${f.guardrail.op} ${f.guardrail.threshold})`,
        f.points.length
          ? table([...f.points].sort((x, y) => Number(y.onFrontier) - Number(x.onFrontier) || y.metric - x.metric), [
            { header: '', get: (p) => (p.onFrontier ? '*' : '') }, { header: 'SUB', get: (p) => `#s${p.submissionId}` }, { header: 'AUTHOR', get: (p) => `@${p.author}`, max: 20 },
            { header: res.metric.name.toUpperCase(), get: (p) => num(p.metric), align: 'right' }, { header: f.guardrail.name.toUpperCase(), get: (p) => num(p.guardrail), align: 'right' },
            { header: 'PASSED', get: (p) => (p.guardrailPassed ? 'yes' : 'no') }, { header: 'HW', get: (p) => p.hardwareClass, max: 20 }, { header: 'TITLE', get: (p) => p.title, max: 40 },
          ])
          : 'no results yet',
      ].join('\n')).join('\n\n') || 'this challenge has no guardrails');
    },
  },
  {
    name: 'progress',
    args: '[--hardware CLASS]',
    summary: 'The best verified result over time, each step linked to its submission.',
    options: { hardware: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const hardware = a.str('hardware');
      const res = await c.client().call('progress', { params: { collab: c.collab() }, query: hardware ? { hardware } : {} });
      c.print(res, () => res.steps.length
        ? table(res.steps, [
          { header: 'VERIFIED', get: (s) => when(s.at) }, { header: 'SUB', get: (s) => s.ref }, { header: 'AUTHOR', get: (s) => `@${s.author}`, max: 20 },
          { header: res.metric.unit.toUpperCase(), get: (s) => num(s.mean), align: 'right' }, { header: 'TITLE', get: (s) => s.title, max: 50 },
        ])
        : 'no verified result yet');
    },
  },
  {
    name: 'schedule',
    summary: 'The challenge\'s start, leaderboard freeze and end, and the phase now.',
    async run(c, a) {
      a.atMost(0);
      const s = await c.client().call('schedule', { params: { collab: c.collab() } });
      c.print(s, () => `phase: ${s.phase}\nstart: ${s.start ?? '-'}\nfreeze: ${s.freeze ?? '-'}\nend: ${s.end ?? '-'}`);
    },
  },
  {
    name: 'standings',
    summary: 'The final standings, published once after the end.',
    async run(c, a) {
      a.atMost(0);
      const s = await c.client().call('finalStandings', { params: { collab: c.collab() } });
      c.print(s, () => [`final standings, published by @${s.publishedBy} at ${when(s.publishedAt)} (#p${s.postId})`, table(s.entries, [
        { header: 'PLACE', get: (e) => e.place, align: 'right' }, { header: 'TIER', get: (e) => e.tier ?? '-', align: 'right' }, { header: 'SUB', get: (e) => `#s${e.submissionId}` },
        { header: 'AUTHOR', get: (e) => `@${e.author}`, max: 20 }, { header: 'MEAN', get: (e) => num(e.mean), align: 'right' },
        { header: 'CI', get: (e) => (e.ciLow === null ? '-' : `${num(e.ciLow)}..${num(e.ciHigh)}`) }, { header: 'TITLE', get: (e) => e.title, max: 40 },
      ])].join('\n'));
    },
  },
  {
    name: 'standings publish',
    args: '[--split public]',
    summary: 'Organizers, after the end: publish the final standings once (exit 3 while ranked entries await private verification).',
    options: { split: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const split = a.str('split');
      const res = await c.authed().call('finalizeStandings', { params: { collab: c.collab() }, body: split ? { split } : {} });
      c.print(res, () => res.standings
        ? `published the final standings as #p${res.standings.postId}: ${res.standings.entries.length} entries`
        : `not yet: ${res.unverified.length} ranked entries await private verification: ${res.unverified.map((u) => `#s${u.submissionId}`).join(', ')} (${c.cmd('jobs run ID --split private')})`);
      return res.standings ? 0 : 3;
    },
  },
  {
    name: 'verify',
    args: '<submission-id> [--split private]',
    summary: 'Organizers: verify a submission on the private split now (uncharged; its author cannot cancel it). The verifier announces the verdict on the board; it also runs by itself for every new leader and the daily top K.',
    options: { split: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const split = a.str('split');
      const v = await c.authed().call('verifySubmission', { params: { collab: c.collab(), id: a.id(0, '<submission-id>') }, body: split ? { split } : {} });
      c.print(v, () => `verification ${v.id} of #s${v.submissionId} queued as job ${v.jobId} on ${v.split}; the verdict comes on the board (tag verification)`);
    },
  },
  {
    name: 'verifications',
    args: '[--submission ID] [--state pending|verified|diverged|failed|inconclusive|void] [--limit N] [--cursor C]',
    summary: 'Private verifications and their verdicts, newest first (a diverged or failed verdict takes the entry out of the ranking).',
    options: { submission: { type: 'string' }, state: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } },
    async run(c, a) {
      a.atMost(0);
      const submission = a.str('submission')?.replace(/^#?s?/i, '');
      const state = a.str('state');
      const states = ['pending', 'verified', 'diverged', 'failed', 'inconclusive', 'void'];
      if (state && !states.includes(state)) throw new UsageError(`--state is one of ${states.join(', ')}`);
      const limit = a.int('limit', { min: 1, max: 200 });
      const cursor = a.str('cursor');
      const res = await c.client().call('listVerifications', {
        params: { collab: c.collab() },
        query: { ...(submission ? { submission: Number(submission) } : {}), ...(state ? { state: state as Verification['state'] } : {}), ...(limit ? { limit } : {}), ...(cursor ? { cursor } : {}) },
      });
      c.print(res, () => res.items.length
        ? table(res.items, [
          { header: 'ID', get: (v) => v.id, align: 'right' }, { header: 'SUB', get: (v) => `#s${v.submissionId}` }, { header: 'JOB', get: (v) => v.jobId, align: 'right' },
          { header: 'WHY', get: (v) => v.reason.replace('_', ' ') }, { header: 'STATE', get: (v) => v.state }, { header: 'VERDICT', get: (v) => `${v.verdict ?? '-'}${v.override ? ' (set)' : ''}` },
          { header: 'DIVERGED', get: (v) => [...v.diverged, ...v.failedGuardrails].join(',') || '-', max: 40 }, { header: 'WHEN', get: (v) => when(v.decidedAt ?? v.createdAt) },
        ]) + nextPage(res.nextCursor)
        : 'no verifications');
    },
  },
  {
    name: 'verifications show',
    args: '<verification-id>',
    summary: 'One verification and its verdict (private figures for organizers).',
    async run(c, a) {
      a.atMost(1);
      const v = await c.client().call('getVerification', { params: { collab: c.collab(), id: a.id(0, '<verification-id>') } });
      c.print(v, () => verificationText(v));
    },
  },
  {
    name: 'verifications override',
    args: '<verification-id> --verdict verified|diverged|failed --reason R',
    summary: 'Organizers: set a decided verification\'s verdict, with a reason (announced on the board, in the audit log).',
    options: { verdict: { type: 'string' }, reason: { type: 'string' } },
    async run(c, a) {
      a.atMost(1);
      const verdict = a.need('verdict', '--verdict (verified, diverged or failed)');
      if (!['verified', 'diverged', 'failed'].includes(verdict)) throw new UsageError('--verdict is verified, diverged or failed');
      const reason = a.need('reason', '--reason (why the verdict is set)');
      const v = await c.authed().call('overrideVerdict', { params: { collab: c.collab(), id: a.id(0, '<verification-id>') }, body: { verdict: verdict as 'verified', reason } });
      c.print(v, () => `verification ${v.id} of #s${v.submissionId}: verdict set to ${v.verdict} (announced in the board post of the override)`);
    },
  },
];

