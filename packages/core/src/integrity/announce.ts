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
