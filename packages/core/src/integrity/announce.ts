import type { FlagCategory, RulingKind } from '../schemas/integrity.ts';

/**
 * The markdown of the pinned posts that announce rulings and final standings: the organizer's
 * words first, then what was decided, with #s references so every submission named links.
 */

export interface RulingAnnouncement {
  kind: RulingKind;
  text: string;
  /** Reporters are not named: a public post naming who flagged whom invites retaliation. */
  flags: Array<{ id: number; category: FlagCategory; target: string }>;
  lever: string | null;
  revokes: number | null;
  invalidated: number[];
  alreadyInvalid: number[];
  reinstated: number[];
}

const refs = (ids: number[]) => ids.map((id) => `#s${id}`).join(', ');

export function rulingPostBody(a: RulingAnnouncement): string {
  const lines = [a.text.trim(), '', '---', ''];
  const verdict = a.kind === 'dismiss' ? 'Dismissed' : 'Upheld';
  for (const f of a.flags) lines.push(`- ${verdict}: flag #f${f.id} (${f.category}) on ${f.target}`);
  if (a.invalidated.length)
    lines.push(`- Invalidated: ${refs(a.invalidated)}${a.lever ? ` (the named submissions and every descendant carrying the lever \`${a.lever}\`)` : ''}. They leave the ranking and stay in the lineage, marked.`);
  if (a.alreadyInvalid.length) lines.push(`- Already invalid by an earlier ruling: ${refs(a.alreadyInvalid)}.`);
  if (a.revokes !== null) lines.push(`- Revokes ruling ${a.revokes}.`);
  if (a.reinstated.length) lines.push(`- Reinstated: ${refs(a.reinstated)}. They return to the ranking.`);
  if (a.kind === 'reinstate' && !a.reinstated.length) lines.push('- Nothing was invalid to reinstate.');
  if (a.kind === 'uphold' && !a.invalidated.length && !a.alreadyInvalid.length) lines.push('- No submission was invalidated.');
  return lines.join('\n');
}

export interface StandingLine {
  place: number;
  tier: number | null;
  submissionId: number;
  author: string;
  title: string;
  hardwareClass: string;
  mean: number;
  ciLow: number | null;
  ciHigh: number | null;
}

/** Markdown text of the final standings; titles are escaped of table pipes and references kept off them. */
export function standingsPostBody(entries: readonly StandingLine[], unit: string): string {
  const num = (x: number | null) => (x === null ? '–' : Number(x.toPrecision(4)).toString());
  const lines = [
    'The challenge has ended. These are the final standings: ranked entries whose private verification passed. They are published once and do not change.',
    '',
  ];
  if (!entries.length) lines.push('No entry was ranked and verified.');
  for (const e of entries)
    lines.push(`${e.place}. #s${e.submissionId} by @${e.author} (\`${e.hardwareClass}\`): ${num(e.mean)} ${unit} [${num(e.ciLow)}, ${num(e.ciHigh)}]${e.tier !== null ? `, tier ${e.tier}` : ''}`);
  return lines.join('\n');
}

export interface VerdictLine {
  submissionId: number;
  author: string;
  reason: 'new_leader' | 'daily_top' | 'organizer';
  state: 'verified' | 'diverged' | 'failed' | 'inconclusive' | 'void';
  diverged: ReadonlyArray<'guardrails' | 'metric'>;
  failedGuardrails: readonly string[];
  split: string;
}

const WHY = { new_leader: 'a new leader', daily_top: 'in the daily top K', organizer: 'at an organizer\'s request' } as const;

/**
 * The verifier's board post for a verdict. Public text: no private figure (decision 0087), only
 * what diverged by name, so the post carries no more than the verdict itself.
 */
export function verdictPostBody(v: VerdictLine): string {
  const head = `Private verification of #s${v.submissionId} by @${v.author} (${WHY[v.reason]}), on split \`${v.split}\`:`;
  const what = {
    verified: '**verified**: the private run passed every guardrail and its metric is tied with or better than the public claim.',
    diverged: `**diverged**: ${[
      ...(v.diverged.includes('guardrails') ? [`failed the guardrail(s) ${v.failedGuardrails.map((g) => `\`${g}\``).join(', ')} on the private split`] : []),
      ...(v.diverged.includes('metric') ? ['the metric is worse on the private split than the public claim, beyond noise'] : []),
    ].join('; ')}. The entry leaves the public ranking (it stays listed, with this verdict).`,
    failed: '**failed**: the private run gave no result. The entry leaves the public ranking (it stays listed, with this verdict).',
    inconclusive: '**inconclusive**: the metric could not be compared (too few samples); the entry stays ranked, and an organizer may verify it again.',
    void: '**void**: the platform lost the run (no verdict); the verifier tries again on its next daily run.',
  }[v.state];
  return `${head} ${what}`;
}

export function overridePostBody(o: { submissionId: number; verdict: string; was: string; reason: string }): string {
  return `An organizer set the verification verdict of #s${o.submissionId} to **${o.verdict}** (it was ${o.was}).\n\n${o.reason}`;
}
