import {
  AgoraError, overridePostBody, releaseAt, verdictPostBody, verificationVerdict, type ChallengeSpec, type JobState, type Role, type Verification, type VerdictName,
} from '@agora/core';
import { appendEvent, type Queryable } from '@agora/store';
import * as store from '@agora/store/integrity';
import { jobSubmission, resultsOfJobs } from '@agora/store/jobs';
import { boardResults, submissionFingerprint } from '@agora/store/leaderboard';
import { access, accessAs, iso, isoReq, type CollabAccess, type CollabRow } from '../collab.ts';
import type { OperationCtx } from './board.ts';
import { queueVerificationJob } from './jobs.ts';
import { writePinnedPost } from './pinned-post.ts';
import { privateSplits } from './scores.ts';

/**
 * Private verification (docs/decisions/0140): organizers verify on demand and override verdicts;
 * the verifier (server/src/verifier.ts) decides ended runs through `decideVerification` and
 * queues through `queueVerificationJob`. Every private-split job is a verification (jobs.ts).
 */

/** The challenge's verification policy; collaborations created before it existed get the defaults. */
export const verificationPolicy = (c: ChallengeSpec) => ({ topK: c.verification?.top_k ?? 3, releaseMinutes: c.verification?.release_minutes ?? 60 });

/** The public split a verification checks against: `public` if there is one, else the first public split. */
export const publicSplitOf = (c: ChallengeSpec): string | null =>
  c.splits?.public?.visibility === 'public' ? 'public' : Object.entries(c.splits ?? {}).find(([, s]) => s.visibility === 'public')?.[0] ?? null;

/** Private figures (the ratio, the organizer's detail) only for organizers; the rest is the public verdict. */
export function verificationOut(v: store.VerificationRow, role: Role | null): Verification {
  const organizer = role === 'organizer';
  const verdict = v.override_verdict ?? (v.state === 'pending' || v.state === 'void' ? null : v.state);
  return {
    id: v.id, submissionId: v.submission_id, jobId: v.job_id, split: v.split, reason: v.reason, requestedBy: v.requested_by_handle,
    state: v.state, verdict, diverged: v.diverged, failedGuardrails: v.failed_guardrails,
    ratio: organizer ? v.ratio : null, detail: organizer ? v.detail : null,
    override: v.override_verdict ? { verdict: v.override_verdict, reason: v.override_reason ?? '', by: v.override_by_handle ?? '', at: isoReq(v.override_at!) } : null,
    postId: v.post_id, createdAt: isoReq(v.created_at), decidedAt: iso(v.decided_at),
  };
}

async function found(db: Queryable, a: CollabAccess, id: number): Promise<store.VerificationRow> {
  const v = await store.verificationById(db, a.collab.id, id);
  if (!v) throw new AgoraError('not_found', `verification ${id} not found in this collaboration`, { verification: id });
  return v;
}

/** Organizers: verify a submission now, on the first private split unless told. */
export async function verifySubmission({ db, actor }: OperationCtx, slug: string, submissionId: number, split?: string): Promise<Verification> {
  const a = await accessAs(db, slug, actor, 'organizer');
  const splits = privateSplits(a.collab.challenge);
  const target = split ?? splits[0];
  if (!target || !splits.includes(target))
    throw new AgoraError('validation_failed', split ? `"${split}" is not a private split of this challenge; its private splits: ${splits.join(', ') || 'none'}` : 'this challenge has no private split to verify on', { split });
  const jobId = await db.transaction(async (tx) => {
    // Under the verifier's lock: the verifier and a second request see this one as pending.
    await store.lockVerifierSchedule(tx, a.collab.id);
    if (await store.pendingVerificationOf(tx, submissionId))
      throw new AgoraError('conflict', `a private verification of #s${submissionId} is already on its way; its verdict comes first`, { submissionId });
    return queueVerificationJob(tx, { collab: a.collab, submissionId, split: target, reason: 'organizer', requestedBy: { id: a.actor.participantId, handle: a.actor.handle } });
  });
  return verificationOut((await store.verificationOfJob(db, jobId))!, a.role);
}

export async function listVerifications(
  { db, actor }: OperationCtx, slug: string, q: { submission?: number | undefined; state?: string | undefined; before: number | null; limit: number },
): Promise<{ role: Role | null; rows: store.VerificationRow[] }> {
  const a = await access(db, slug, actor);
  return { role: a.role, rows: await store.listVerifications(db, a.collab.id, q) };
}

export async function getVerification({ db, actor }: OperationCtx, slug: string, id: number): Promise<Verification> {
  const a = await access(db, slug, actor);
  return verificationOut(await found(db, a, id), a.role);
}

/** Organizers: set a decided verification's verdict, with a reason, announced on the board. */
export async function overrideVerdict({ db, actor }: OperationCtx, slug: string, id: number, o: { verdict: VerdictName; reason: string }): Promise<Verification> {
  const a = await accessAs(db, slug, actor, 'organizer');
  const me = a.actor.participantId;
  await db.transaction(async (tx) => {
    const v = await store.lockVerification(tx, a.collab.id, id);
    if (!v) throw new AgoraError('not_found', `verification ${id} not found in this collaboration`, { verification: id });
    if (v.state === 'pending' || v.state === 'void')
      throw new AgoraError('conflict', `verification ${id} has no verdict to override (${v.state}); verify the submission again instead`, { state: v.state });
    const was = (await store.verificationById(tx, a.collab.id, id))!;
    const postId = await writePinnedPost(tx, {
      collabId: a.collab.id, authorId: me, title: `Verdict of #s${v.submission_id} set to ${o.verdict}`, tags: ['verification'], pin: false,
      body: overridePostBody({ submissionId: v.submission_id, verdict: o.verdict, was: was.override_verdict ?? was.state, reason: o.reason }),
    });
    await store.overrideVerification(tx, id, { verdict: o.verdict, reason: o.reason, by: me });
    await appendEvent(tx, {
      collaborationId: a.collab.id, actorId: me, type: 'verification.overridden', subject: `#s${v.submission_id}`,
      payload: { verificationId: id, submissionId: v.submission_id, verdict: o.verdict, reason: o.reason, postId },
    });
  });
  return verificationOut(await found(db, a, id), a.role);
}

// ---------------------------------------------------------------- the verifier's decision

const VOID: ReadonlySet<string> = new Set(['errored', 'cancelled']);

/**
 * Decides one ended verification, if its end is released (`now` past the release time): the
 * private job's result against the public pool of the submission's fingerprint on the same
 * hardware class, by core's verificationVerdict; a post by the verifier announces it. Answers
 * whether it decided (false: not released yet, or decided meanwhile elsewhere).
 */
export async function decideVerification(db: Queryable & { transaction: <T>(f: (tx: Queryable) => Promise<T>) => Promise<T> }, collab: CollabRow, e: store.EndedVerificationRow, now: Date): Promise<boolean> {
  const challenge = collab.challenge;
  if (releaseAt(e.finished_at, verificationPolicy(challenge).releaseMinutes) > now) return false;
  const verifier = await store.verifierId(db);
  return db.transaction(async (tx) => {
    if (!(await store.lockPendingVerification(tx, e.id))) return false;
    const v = (await store.verificationById(tx, collab.id, e.id))!;
    const [result] = await resultsOfJobs(tx, [e.job_id]);
    let d: { state: store.VerificationRow['state']; diverged: Array<'guardrails' | 'metric'>; failedGuardrails: string[]; ratio: number | null; detail: string | null };
    if (VOID.has(e.job_state)) d = { state: 'void', diverged: [], failedGuardrails: [], ratio: null, detail: `the private job ended ${e.job_state}: the platform's doing, no verdict` };
    else {
      const split = publicSplitOf(challenge);
      const fp = await submissionFingerprint(tx, collab.id, e.submission_id);
      const rows = result && split && fp ? await boardResults(tx, { collabId: collab.id, split, hardware: result.hardware_class, fingerprints: [fp.fingerprint] }) : [];
      const publicJobs = rows.filter((r) => r.guardrails_passed).map((r) => r.samples);
      const out = verificationVerdict({
        direction: challenge.metric.direction, confidence: challenge.significance?.confidence ?? 0.95,
        publicSamples: publicJobs.flat(), publicJobs,
        privateState: e.job_state as JobState, privateSamples: result?.samples ?? [],
        privateGuardrails: (result?.guardrails as Array<{ name: string; passed: boolean }> | undefined) ?? [],
      });
      d = out.verdict === 'verified' ? { state: 'verified', diverged: [], failedGuardrails: [], ratio: out.ratio, detail: null }
        : out.verdict === 'diverged' ? { state: 'diverged', diverged: out.diverged, failedGuardrails: out.failedGuardrails, ratio: out.ratio, detail: out.detail }
        : { state: out.verdict, diverged: [], failedGuardrails: [], ratio: null, detail: out.detail };
    }
    const author = (await jobSubmission(tx, collab.id, e.submission_id))?.author_handle ?? 'unknown';
    const postId = await writePinnedPost(tx, {
      collabId: collab.id, authorId: verifier, title: `Verification of #s${e.submission_id}: ${d.state}`, tags: ['verification'], pin: false,
      body: verdictPostBody({ submissionId: e.submission_id, author, reason: v.reason, state: d.state as Exclude<typeof d.state, 'pending'>, diverged: d.diverged, failedGuardrails: d.failedGuardrails, split: v.split }),
    });
    await store.decideVerification(tx, e.id, { ...d, postId });
    await appendEvent(tx, {
      collaborationId: collab.id, actorId: verifier, type: 'verification.decided', subject: `#s${e.submission_id}`,
      payload: { verificationId: e.id, submissionId: e.submission_id, jobId: e.job_id, state: d.state as Exclude<typeof d.state, 'pending'>, diverged: d.diverged, failedGuardrails: d.failedGuardrails, postId },
    });
    return true;
  });
}
