import { AgoraError, buildBoard, compareEntries, leaderboardCutoff, poolResults, rulesOf, type BoardResult, type BoardVerdict } from '@agora/core';
import { verdictsInForce } from '@agora/store/integrity';
import type { Queryable } from '@agora/store';
import { boardResults, submissionFingerprint, type BoardResultRow } from '@agora/store/leaderboard';
import { access } from '../collab.ts';
import type { OperationCtx } from './board.ts';
import { splitVisibility } from './jobs.ts';

/**
 * The leaderboard and `compare` (docs/decisions/0105): the rows from the store (a freeze applies
 * to participants), pooled per fingerprint and hardware class, ranked and compared by core.
 */

const numbers = (x: unknown): number[] | null => (Array.isArray(x) && x.every((v) => typeof v === 'number') ? (x as number[]) : null);

/** A board row as core pools it, with the verdict in force of its submission's private verification. */
export function toResult(row: BoardResultRow, verdicts: ReadonlyMap<number, BoardVerdict> = new Map()): BoardResult {
  return {
    verdict: verdicts.get(row.submission_id) ?? null,
    jobId: row.job_id, submissionId: row.submission_id, fingerprint: row.fingerprint, hardwareClass: row.hardware_class,
    samples: row.samples, baselineSamples: numbers(row.baseline_samples), guardrailsPassed: row.guardrails_passed,
  };
}

export async function leaderboardOf(ctx: OperationCtx, slug: string, split: string, hardware: string | null) {
  const a = await access(ctx.db, slug, ctx.actor);
  const challenge = a.collab.challenge;
  const visibility = splitVisibility(challenge, split);
  const rules = rulesOf(challenge);
  const cutoff = leaderboardCutoff(challenge.schedule, new Date(), a.role);
  const rows = await boardResults(ctx.db, { collabId: a.collab.id, split, hardware, cutoff });
  const verdicts = await verdictMap(ctx.db, a.collab.id);
  return { challenge, rules, rows, classes: buildBoard(rows.map((r) => toResult(r, verdicts)), rules), role: a.role, visibility };
}

/** The verdict in force per submission (decision 0140): the leaderboard's badge, and diverged or failed entries leave the ranking. */
export async function verdictMap(db: Queryable, collabId: number): Promise<Map<number, BoardVerdict>> {
  return new Map((await verdictsInForce(db, collabId)).map((v) => [v.submission_id, v.verdict]));
}

export async function compareSubmissions(ctx: OperationCtx, slug: string, q: { a: number; b: number; split: string; hardware?: string | undefined }) {
  const a = await access(ctx.db, slug, ctx.actor);
  const challenge = a.collab.challenge;
  const visibility = splitVisibility(challenge, q.split);
  const rules = rulesOf(challenge);
  const side = async (id: number) => {
    const s = await submissionFingerprint(ctx.db, a.collab.id, id);
    if (!s) throw new AgoraError('not_found', `submission ${id} not found in this collaboration`, { submissionId: id });
    if (s.invalidated) throw new AgoraError('conflict', `submission ${id} is invalidated or withdrawn and takes no part in comparisons`, { submissionId: id });
    return s;
  };
  const [sa, sb] = [await side(q.a), await side(q.b)];
  const cutoff = leaderboardCutoff(challenge.schedule, new Date(), a.role);
  const rows = await boardResults(ctx.db, { collabId: a.collab.id, split: q.split, hardware: q.hardware ?? null, fingerprints: [sa.fingerprint, sb.fingerprint], cutoff });
  const pools = poolResults(rows.map((r) => toResult(r)), rules);
  const classesOf = (fp: string) => new Set(pools.filter((p) => p.fingerprint === fp).map((p) => p.hardwareClass));
  const ca = classesOf(sa.fingerprint);
  const shared = [...classesOf(sb.fingerprint)].filter((c) => ca.has(c)).sort();
  if (shared.length === 0)
    throw new AgoraError('unprocessable', `#s${q.a} and #s${q.b} have no succeeded jobs on one hardware class of split ${q.split}${q.hardware ? ` (${q.hardware})` : ''}: results are compared only within one class`, { a: q.a, b: q.b });
  if (shared.length > 1)
    throw new AgoraError('validation_failed', `#s${q.a} and #s${q.b} both ran on several hardware classes; choose one with hardware: ${shared.join(', ')}`, { hardwareClasses: shared });
  const hardwareClass = shared[0]!;
  const pool = (fp: string) => pools.find((p) => p.fingerprint === fp && p.hardwareClass === hardwareClass)!;
  const [pa, pb] = [pool(sa.fingerprint), pool(sb.fingerprint)];
  return { challenge, rules, hardwareClass, a: pa, b: pb, comparison: compareEntries(pa, pb, rules)!, role: a.role, visibility };
}
