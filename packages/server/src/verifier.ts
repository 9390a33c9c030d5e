import { AgoraError, buildBoard, rulesOf, verificationsDue, type VerificationReason } from '@agora/core';
import type { Db } from '@agora/store';
import * as store from '@agora/store/integrity';
import { boardResults } from '@agora/store/leaderboard';
import type { CollabRow } from './collab.ts';
import type { EventHub } from './hub.ts';
import { queueVerificationJob } from './operations/jobs.ts';
import { toResult, verdictMap } from './operations/leaderboard.ts';
import { privateSplits } from './operations/scores.ts';
import { decideVerification, publicSplitOf, verificationPolicy } from './operations/verification.ts';

/**
 * The automatic verifier (docs/decisions/0140): a thin shell around core's verificationsDue and
 * verificationVerdict. Each tick decides the verifications whose private job ended and whose end
 * is released, then queues what is due: every new leader at once, the daily top K on the first
 * tick of a UTC day. Woken by events (a result lands) and by a timer; the clock is injectable, so
 * tests step through days and release times without waiting. Idempotent: a tick that finds nothing
 * to do writes nothing; ticks on several server processes never queue twice (one pending
 * verification per submission, one daily run per collaboration and day, both enforced by the store).
 */
export interface VerifierReport {
  decided: number[];
  queued: Array<{ submissionId: number; jobId: number; reason: VerificationReason }>;
}

const BATCH = 200;

export async function verifyOnce(db: Db, now: Date): Promise<VerifierReport> {
  const report: VerifierReport = { decided: [], queued: [] };
  const collabs = new Map((await store.collaborationsWithPrivateSplits(db)).map((c) => [c.id, c]));
  for (const e of await store.endedPendingVerifications(db, BATCH)) {
    const collab = collabs.get(e.collaboration_id);
    if (collab && (await decideVerification(db, collab, e, now))) report.decided.push(e.id);
  }
  for (const collab of collabs.values()) report.queued.push(...(await schedule(db, collab, now)));
  return report;
}

async function schedule(db: Db, collab: CollabRow, now: Date): Promise<VerifierReport['queued']> {
  const challenge = collab.challenge;
  const split = publicSplitOf(challenge);
  const privateSplit = privateSplits(challenge)[0];
  if (!split || !privateSplit) return [];
  // The verifier sees what organizers see: no freeze cutoff.
  const rows = await boardResults(db, { collabId: collab.id, split });
  const verdicts = await verdictMap(db, collab.id);
  const classes = buildBoard(rows.map((r) => toResult(r, verdicts)), rulesOf(challenge)).map((c) => ({
    hardwareClass: c.hardwareClass,
    entries: c.entries.filter((e) => e.rank !== null).map((e) => ({ submissionId: e.submissionIds[0]!, rank: e.rank! })),
  }));
  const { covered, attempted } = await store.verificationCoverage(db, collab.id);
  const plan = verificationsDue({ now, topK: verificationPolicy(challenge).topK, classes, covered, attempted, lastDaily: await store.lastDailyRun(db, collab.id) });
  let due = plan.due;
  // The day's run is recorded first: whoever records it queues the daily ones, nobody twice.
  if (plan.daily && !(await db.transaction((tx) => store.markDailyRun(tx, collab.id, plan.daily!)))) due = due.filter((d) => d.reason !== 'daily_top');
  if (!due.length) return [];
  const verifier = { id: await store.verifierId(db), handle: store.VERIFIER_HANDLE };
  const queued: VerifierReport['queued'] = [];
  for (const d of due) {
    try {
      const jobId = await db.transaction(async (tx) => {
        await store.lockVerifierSchedule(tx, collab.id);
        if (await store.pendingVerificationOf(tx, d.submissionId)) return null;
        return queueVerificationJob(tx, { collab, submissionId: d.submissionId, split: privateSplit, reason: d.reason, requestedBy: verifier });
      });
      if (jobId) queued.push({ ...d, jobId });
    } catch (err) {
      // Invalidated or withdrawn meanwhile: nothing to verify. Anything else is the platform's bug.
      if (!(err instanceof AgoraError)) throw err;
    }
  }
  return queued;
}

export interface VerifierOptions {
  /** The longest wait between ticks without an event. Default 60 s. */
  intervalMs?: number;
  /** The shortest gap between ticks, however many events arrive. Default 1 s. */
  minGapMs?: number;
  /** The verifier's clock (tests step it). */
  now?: () => Date;
}

/** Starts the verifier loop; returns a function that stops it (and waits for a tick in flight). */
export function startVerifier(db: Db, hub: EventHub, opts: VerifierOptions = {}): () => Promise<void> {
  const interval = opts.intervalMs ?? 60_000;
  const gap = opts.minGapMs ?? 1000;
  const now = opts.now ?? (() => new Date());
  const stop = new AbortController();
  const loop = (async () => {
    while (!stop.signal.aborted) {
      const seen = hub.current;
      try {
        await verifyOnce(db, now());
      } catch (err) {
        if (!stop.signal.aborted) console.error('[agora] verifier:', err);
      }
      await new Promise((r) => setTimeout(r, gap).unref());
      await hub.wait(seen, interval, stop.signal);
    }
  })();
  return async () => {
    stop.abort();
    await loop;
  };
}


