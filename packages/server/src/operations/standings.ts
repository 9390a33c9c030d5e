import { AgoraError, boardLinks, schedulePhase, standingsPostBody, type Infer, type Routes } from '@agora/core';
import { appendEvent } from '@agora/store';
import {
  finalStandings, insertFinalStandings, lineageRows, lockStandings, scoredResults, verdictsInForce, verificationCoverage, type FinalStandingsRow,
} from '@agora/store/integrity';
import { access, accessAs, isoReq, type CollabAccess } from '../collab.ts';
import type { OperationCtx } from './board.ts';
import { queueJob } from './jobs.ts';
import { writePinnedPost } from './pinned-post.ts';
import { privateSplits, rankedPools } from './scores.ts';

/** The schedule and the final standings: published once after the end, from ranked entries by the verdicts of their private verification (decision 0140). */

type Standings = Infer<Routes['finalStandings']['response']>;
type StandingEntries = Standings['entries'];

export async function schedule({ db, actor }: OperationCtx, slug: string): Promise<Infer<Routes['schedule']['response']>> {
  return scheduleOut(await access(db, slug, actor));
}

function scheduleOut(a: CollabAccess, now = new Date()): Infer<Routes['schedule']['response']> {
  const s = a.collab.challenge.schedule;
  return { start: s?.start ?? null, freeze: s?.freeze ?? null, end: s?.end ?? null, phase: schedulePhase(s, now), now: now.toISOString() };
}

function standingsOut(row: FinalStandingsRow, slug: string): Standings {
  return {
    publishedAt: isoReq(row.published_at), publishedBy: row.published_by_handle, postId: row.post_id, postUrl: boardLinks(slug).post(row.post_id),
    split: row.split, entries: row.entries as StandingEntries,
  };
}

export async function readFinalStandings({ db, actor }: OperationCtx, slug: string): Promise<Standings> {
  const a = await access(db, slug, actor);
  const row = await finalStandings(db, a.collab.id);
  if (!row) throw new AgoraError('not_found', `the final standings of "${a.collab.slug}" are not published (schedule phase: ${scheduleOut(a).phase})`);
  return standingsOut(row, a.collab.slug);
}

export async function finalize({ db, actor }: OperationCtx, slug: string, split: string): Promise<Infer<Routes['finalizeStandings']['response']>> {
  const a = await accessAs(db, slug, actor, 'organizer');
  const challenge = a.collab.challenge;
  if (challenge.splits?.[split]?.visibility !== 'public') throw new AgoraError('validation_failed', `"${split}" is not a public split of this challenge`, { split });
  const phase = schedulePhase(challenge.schedule, new Date());
  if (phase !== 'ended')
    throw new AgoraError('conflict', challenge.schedule?.end ? `the challenge ends at ${challenge.schedule.end}; final standings come after` : 'this challenge has no end in its schedule', { phase });
  const published = await db.transaction(async (tx) => {
    await lockStandings(tx, a.collab.id);
    if (await finalStandings(tx, a.collab.id)) throw new AgoraError('conflict', 'the final standings are already published; they do not change');
    const end = new Date(challenge.schedule!.end!);
    const [rows, results, decided] = await Promise.all([
      lineageRows(tx, a.collab.id),
      scoredResults(tx, a.collab.id, split, { rankedOnly: true, cutoff: end }),
      verdictsInForce(tx, a.collab.id),
    ]);
    // The verdicts in force, as the leaderboard reads them: a private run counts once the verifier
    // (or an organizer's override) has decided it, never by its raw figures.
    const verdicts = new Map(decided.map((v) => [v.submission_id, v.verdict]));
    const unverified = rankedPools(results, challenge).filter((p) => p.rank !== null && !verdicts.has(p.submissionId))
      .map((p) => ({ submissionId: p.submissionId, hardwareClass: p.hardwareClass }));
    if (unverified.length) return { standings: null, unverified, queuedJobs: null };
    // Diverged and failed entries leave the ranking, as on the leaderboard: places among the rest.
    const byId = new Map(rows.map((r) => [r.id, r]));
    const entries = rankedPools(results, challenge, verdicts)
      .filter((p) => p.rank !== null)
      .map((p) => ({
        place: p.rank!, tier: p.tier, submissionId: p.submissionId, title: byId.get(p.submissionId)!.title, author: byId.get(p.submissionId)!.author_handle,
        hardwareClass: p.hardwareClass, mean: p.mean, ciLow: p.ciLow, ciHigh: p.ciHigh, n: p.n,
      }));
    const body = standingsPostBody(entries, challenge.metric.unit);
    const me = a.actor.participantId;
    const postId = await writePinnedPost(tx, { collabId: a.collab.id, authorId: me, title: 'Final standings', body, tags: ['result'] });
    await insertFinalStandings(tx, { collabId: a.collab.id, publishedBy: me, postId, split, entries });
    await appendEvent(tx, { collaborationId: a.collab.id, actorId: me, type: 'standings.published', subject: `#p${postId}`, payload: { postId, split, entries: entries.length } });
    return { standings: standingsOut((await finalStandings(tx, a.collab.id))!, a.collab.slug), unverified: [], queuedJobs: null };
  });
  if (published.standings) return { ...published, queuedJobs: [] };
  // Every ranked entry is verified before publication: queue the private runs still missing
  // (uncharged, as the organizer's verification), one per entry, none twice: an entry whose
  // verification is pending (its run queued, running, or ended but not yet decided) waits for it.
  const privateSplit = privateSplits(challenge)[0];
  const pending = privateSplit ? (await verificationCoverage(db, a.collab.id)).covered : new Set<number>();
  const queuedJobs: number[] = [];
  for (const id of new Set(published.unverified.map((u) => u.submissionId))) {
    if (!privateSplit || pending.has(id)) continue;
    queuedJobs.push((await queueJob({ db, actor }, slug, { submissionId: id, split: privateSplit })).jobId);
  }
  return { ...published, queuedJobs };
}
