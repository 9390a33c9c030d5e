import { AgoraError, buildBoard, compareEntries, leaderboardCutoff, poolResults, releasedUpTo, rulesOf, type BoardEntry, type BoardResult, type BoardVerdict, type ChallengeSpec, type Role } from '@agora/core';
import { verdictsInForce } from '@agora/store/integrity';
import type { Queryable } from '@agora/store';
import { boardResults, submissionFingerprint, type BoardResultRow } from '@agora/store/leaderboard';
import { access, isoReq } from '../collab.ts';
import { cachedByEvents } from '../read-cache.ts';
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

/**
 * The leaderboard's classes, each with its noise floor and its entries as answered (before what a
 * role may see of a private split, which the route applies). Computed from every scored result,
 * so cached by the collaboration's scores version (read-cache.ts): recomputed only when an event
 * (a result, a ruling, a verdict, a withdrawal) has landed since.
 */
export async function leaderboardOf(ctx: OperationCtx, slug: string, split: string, hardware: string | null) {
  const a = await access(ctx.db, slug, ctx.actor);
  const challenge = a.collab.challenge;
  const visibility = splitVisibility(challenge, split);
  const rules = rulesOf(challenge);
  const cutoff = privateCutoff(leaderboardCutoff(challenge.schedule, new Date(), a.role), challenge, visibility, a.role);
  const classes = await cachedByEvents(ctx.db, a.collab.id, JSON.stringify(['leaderboard', split, hardware, cutoff?.getTime() ?? null]), async () => {
    const rows = await boardResults(ctx.db, { collabId: a.collab.id, split, hardware, cutoff });
    const verdicts = await verdictMap(ctx.db, a.collab.id);
    const byJob = new Map(rows.map((x) => [x.job_id, x]));
    return buildBoard(rows.map((r) => toResult(r, verdicts)), rules).map((cls) => ({
      hardwareClass: cls.hardwareClass,
      noiseFloor: cls.noiseFloor,
      entries: cls.entries.filter((e) => e.results.some((x) => x.samples.some(Number.isFinite))).map((e) => entryOut(e, byJob)),
    }));
  });
  return { challenge, rules, classes, role: a.role, visibility };
}

export type LeaderboardEntry = ReturnType<typeof entryOut>;

function entryOut(e: BoardEntry, byJob: Map<number, BoardResultRow>) {
  const rows = e.results.map((x) => byJob.get(x.jobId)!);
  const original = rows.find((x) => x.submission_id === e.submissionIds[0])!;
  const sponsors = new Map<number, string>();
  for (const x of rows) if (x.sponsor_id && x.sponsor_id !== x.author_id) sponsors.set(x.sponsor_id, x.sponsor_handle!);
  const all = e.results.flatMap((x) => x.samples).filter((x) => Number.isFinite(x));
  const mean = all.reduce((s, x) => s + x, 0) / Math.max(1, all.length);
  const sd = all.length < 2 ? null : Math.sqrt(all.reduce((s, x) => s + (x - mean) ** 2, 0) / (all.length - 1));
  const est = e.estimate;
  const ratio = e.baselineRatio;
  return {
    rank: e.rank, tier: e.tier, unranked: e.unranked, verdict: e.verdict,
    submissionId: e.submissionIds[0]!, duplicates: e.submissionIds.slice(1), title: original.title,
    author: { id: original.author_id, handle: original.author_handle },
    sponsors: [...sponsors].map(([id, handle]) => ({ id, handle })),
    hardwareClass: e.hardwareClass, jobs: e.results.length, n: all.length, mean, stdev: sd,
    center: est?.center ?? mean, ciLow: est?.low ?? null, ciHigh: est?.high ?? null,
    baselineRatio: ratio ? { estimate: ratio.center, low: ratio.low, high: ratio.high, n: ratio.n } : null,
    guardrailsPassed: e.guardrailsPassed,
    failedGuardrails: [...new Set(rows.flatMap((x) => x.guardrails.filter((g) => !g.passed).map((g) => g.name)))],
    lastResultAt: isoReq(rows.at(-1)!.created_at),
  };
}

/** Of a private split, participants see results up to the last release time only (decision 0087): no result shows when it landed. */
function privateCutoff(cutoff: Date | null, challenge: ChallengeSpec, visibility: 'public' | 'private', role: Role | null): Date | null {
  if (visibility === 'public' || role === 'organizer') return cutoff;
  const released = releasedUpTo(new Date(), challenge.verification?.release_minutes ?? 60);
  return cutoff && cutoff < released ? cutoff : released;
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
  const cutoff = privateCutoff(leaderboardCutoff(challenge.schedule, new Date(), a.role), challenge, visibility, a.role);
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
