import {
  AgoraError, enforce, invalidationReach, ORGANIZER_EVENT_TYPES, mayFlag, mayReadFlag, mayRule, mayWithdraw, refuse, reinstatementReach, rulingPostBody,
  type CreateRulingBody, type FlagCategory,
} from '@agora/core';
import { appendEvent } from '@agora/store';
import * as store from '@agora/store/integrity';
import { access, accessAs, type CollabAccess } from '../collab.ts';
import type { OperationCtx } from './board.ts';
import { writePinnedPost } from './pinned-post.ts';

/**
 * Flags, rulings, withdrawal and the audit log (issue 11). Each operation finds the collaboration
 * and role, enforces core's decisions (core/src/integrity/permissions.ts), writes the change and
 * its events in one transaction and answers rows; routes/integrity.ts shapes them.
 */

export interface NewFlag {
  submission?: number | undefined;
  post?: number | undefined;
  category: FlagCategory;
  evidence: string;
}

export async function createFlag({ db, actor }: OperationCtx, slug: string, f: NewFlag): Promise<{ access: CollabAccess; flag: store.FlagRow }> {
  const a = await accessAs(db, slug, actor, 'participant');
  const target = f.submission !== undefined ? { submission: f.submission } : { post: f.post! };
  const kind = f.submission !== undefined ? 'submission' : 'post';
  const me = a.actor.participantId;
  const flag = await db.transaction(async (tx) => {
    const authorId = await store.flagTargetAuthor(tx, a.collab.id, target);
    if (authorId === null) throw new AgoraError('not_found', `${kind === 'submission' ? `#s${f.submission}` : `#p${f.post}`} not found in this collaboration`, target);
    const open = await store.openFlagsOf(tx, a.collab.id, me, target);
    enforce(mayFlag({ role: a.role, reporterId: me, targetAuthorId: authorId, targetKind: kind, alreadyOpen: open.onTarget, openByReporter: open.open }));
    const row = await store.insertFlag(tx, { collabId: a.collab.id, reporterId: me, ...target, category: f.category, evidence: f.evidence });
    // The event says only that a flag arrived: the target, category and evidence are for organizers and the reporter.
    await appendEvent(tx, { collaborationId: a.collab.id, actorId: me, type: 'flag.created', subject: `#f${row.id}`, payload: { flagId: row.id } });
    return row;
  });
  return { access: a, flag };
}

/** Organizers read the whole queue; anyone else only the flags they reported. */
export async function listFlags(
  { db, actor }: OperationCtx, slug: string, q: { state?: string | undefined; submission?: number | undefined; before: number | null; limit: number },
): Promise<store.FlagRow[]> {
  const a = await access(db, slug, actor);
  if (!actor) throw new AgoraError('unauthorized', 'this action needs an API key');
  return store.listFlags(db, a.collab.id, { ...q, reporterId: a.role === 'organizer' ? undefined : actor.participantId });
}

export async function readFlag({ db, actor }: OperationCtx, slug: string, id: number): Promise<store.FlagRow> {
  const a = await access(db, slug, actor);
  const f = await store.flagById(db, a.collab.id, id);
  if (!f) throw new AgoraError('not_found', `flag #f${id} not found in this collaboration`, { flag: id });
  enforce(mayReadFlag(a.role, actor?.participantId ?? null, f.reporter_id) ? null : refuse('forbidden', 'a flag is for the organizers and its reporter'));
  return f;
}

/**
 * A ruling in one transaction: the flags and the lineage are locked, core decides whether the
 * ruling may be made and which submissions it reaches, the pinned post announces it, then flags,
 * submissions and the events change together. Nothing is half-written on a refusal.
 */
export async function createRuling({ db, actor }: OperationCtx, slug: string, body: CreateRulingBody): Promise<{ access: CollabAccess; ruling: store.RulingRow }> {
  const a = await accessAs(db, slug, actor, 'organizer');
  const collabId = a.collab.id;
  const me = a.actor.participantId;
  const id = await db.transaction(async (tx) => {
    const flagStates = await store.lockFlagStates(tx, collabId, body.flags);
    const dag = await store.lockDag(tx, collabId);
    enforce(mayRule(body, {
      role: a.role, flagStates, existingSubmissions: new Set(dag.map((n) => n.id)),
      revokedExists: body.revokes !== undefined && (await store.rulingExists(tx, collabId, body.revokes)),
    }));
    const flags = await Promise.all(body.flags.map(async (fid) => (await store.flagById(tx, collabId, fid))!));
    const reach = body.kind === 'uphold' && body.invalidate
      ? invalidationReach(dag, body.invalidate.submissions, body.invalidate.lever)
      : { invalidate: [], alreadyInvalid: [] };
    const reinstated = body.kind === 'reinstate' ? reinstatementReach(dag, body.reinstate?.submissions ?? [], body.reinstate?.lever, body.revokes) : [];
    const lever = body.invalidate?.lever ?? body.reinstate?.lever ?? null;
    const text = rulingPostBody({
      kind: body.kind, text: body.text, lever, revokes: body.revokes ?? null, invalidated: reach.invalidate, alreadyInvalid: reach.alreadyInvalid, reinstated,
      flags: flags.map((f) => ({ id: f.id, category: f.category as FlagCategory, target: f.submission_id !== null ? `#s${f.submission_id}` : `#p${f.post_id}` })),
    });
    const postId = await writePinnedPost(tx, { collabId, authorId: me, title: body.title, body: text, tags: ['ruling'] });
    const rulingId = await store.insertRuling(tx, { collabId, organizerId: me, kind: body.kind, title: body.title, text: body.text, lever, revokes: body.revokes ?? null, postId });
    await store.closeFlags(tx, body.flags, body.kind === 'dismiss' ? 'dismissed' : 'upheld', rulingId);
    await store.invalidateSubmissions(tx, rulingId, reach.invalidate, `ruling ${rulingId}: ${body.title}`);
    await store.reinstateSubmissions(tx, rulingId, reinstated);
    await appendEvent(tx, {
      collaborationId: collabId, actorId: me, type: 'ruling.made', subject: `ruling ${rulingId}`,
      payload: { rulingId, kind: body.kind, postId, flags: body.flags, invalidated: reach.invalidate, reinstated, lever, revokes: body.revokes ?? null },
    });
    for (const sid of reach.invalidate)
      await appendEvent(tx, { collaborationId: collabId, actorId: me, type: 'submission.invalidated', subject: `#s${sid}`, payload: { submissionId: sid, rulingId, postId } });
    for (const sid of reinstated)
      await appendEvent(tx, { collaborationId: collabId, actorId: me, type: 'submission.reinstated', subject: `#s${sid}`, payload: { submissionId: sid, rulingId, postId } });
    return rulingId;
  });
  return { access: a, ruling: (await store.rulingById(db, collabId, id))! };
}

export async function listRulings(
  { db, actor }: OperationCtx, slug: string, q: { submission?: number | undefined; before: number | null; limit: number },
): Promise<{ access: CollabAccess; rulings: store.RulingRow[] }> {
  const a = await access(db, slug, actor);
  return { access: a, rulings: await store.listRulings(db, a.collab.id, q) };
}

export async function readRuling({ db, actor }: OperationCtx, slug: string, id: number): Promise<{ access: CollabAccess; ruling: store.RulingRow }> {
  const a = await access(db, slug, actor);
  const ruling = await store.rulingById(db, a.collab.id, id);
  if (!ruling) throw new AgoraError('not_found', `ruling ${id} not found in this collaboration`, { ruling: id });
  return { access: a, ruling };
}

export async function withdraw({ db, actor }: OperationCtx, slug: string, id: number, reason: string | null): Promise<{ access: CollabAccess; standing: store.StandingRow }> {
  const a = await access(db, slug, actor);
  if (!actor) throw new AgoraError('unauthorized', 'this action needs an API key');
  const me = actor.participantId;
  await db.transaction(async (tx) => {
    const s = await store.lockSubmissionForWithdraw(tx, a.collab.id, id);
    if (!s) throw new AgoraError('not_found', `submission ${id} not found in this collaboration`, { submissionId: id });
    enforce(mayWithdraw({ role: a.role, actorId: me, authorId: s.author_id, withdrawn: s.withdrawn_at !== null }));
    await store.withdrawSubmission(tx, id, reason);
    await appendEvent(tx, { collaborationId: a.collab.id, actorId: me, type: 'submission.withdrawn', subject: `#s${id}`, payload: { submissionId: id, reason } });
  });
  const [standing] = await store.standingRows(db, a.collab.id, [id]);
  return { access: a, standing: standing! };
}

export async function auditLog({ db, actor }: OperationCtx, slug: string, q: { before: number | null; limit: number; types?: string[] | undefined }) {
  const a = await accessAs(db, slug, actor, 'organizer');
  return store.organizerEvents(db, a.collab.id, { ...q, organizerTypes: ORGANIZER_EVENT_TYPES });
}
