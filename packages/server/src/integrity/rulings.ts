import {
  AgoraError, boardLinks, flagRefusal, invalidationReach, reinstatementReach, rulingPostBody, rulingRefusal, withdrawRefusal,
  type CreateRulingBody, type Flag, type FlagCategory, type Ruling, type SubmissionStanding,
} from '@agora/core';
import {
  appendEvent, closeFlags, flagById, flagTargetAuthor, insertFlag, insertRuling, invalidateSubmissions, lockDag,
  lockFlagStates, lockSubmissionForWithdraw, openFlagsOf, reinstateSubmissions, rulingById, rulingExists, standingRows, withdrawSubmission,
  type Db, type FlagRow, type RulingRow,
} from '@agora/store';
import type { CollabAccess } from '../collab.ts';
import { isoReq } from '../collab.ts';
import { writePinnedPost } from './pinned-post.ts';

/** Flags, rulings and withdrawal: each operation loads the facts, asks core's rule, writes the change and its events in one transaction. */

export function flagOut(f: FlagRow): Flag {
  const target = f.submission_id !== null
    ? { kind: 'submission' as const, id: f.submission_id, ref: `#s${f.submission_id}` }
    : { kind: 'post' as const, id: f.post_id!, ref: `#p${f.post_id}` };
  return {
    id: f.id, ref: `#f${f.id}`, target, category: f.category as FlagCategory, evidence: f.evidence, reporter: f.reporter_handle,
    state: f.state, rulingId: f.ruling_id, createdAt: isoReq(f.created_at),
  };
}

export function rulingOut(r: RulingRow, slug: string): Ruling {
  return {
    id: r.id, kind: r.kind, title: r.title, text: r.text, organizer: r.organizer_handle, flags: r.flags, lever: r.lever, revokes: r.revokes,
    invalidated: r.invalidated, reinstated: r.reinstated, postId: r.post_id, postUrl: boardLinks(slug).post(r.post_id), createdAt: isoReq(r.created_at),
  };
}

export async function createFlag(
  db: Db, a: CollabAccess & { actor: { participantId: number } },
  body: { submission?: number | undefined; post?: number | undefined; category: FlagCategory; evidence: string },
): Promise<Flag> {
  const target = body.submission !== undefined ? { submission: body.submission } : { post: body.post! };
  const kind = body.submission !== undefined ? 'submission' : 'post';
  const me = a.actor.participantId;
  const row = await db.transaction(async (tx) => {
    const authorId = await flagTargetAuthor(tx, a.collab.id, target);
    if (authorId === null) throw new AgoraError('not_found', `${kind === 'submission' ? `#s${body.submission}` : `#p${body.post}`} not found in this collaboration`, target);
    const open = await openFlagsOf(tx, a.collab.id, me, target);
    const refusal = flagRefusal({ role: a.role, reporterId: me, targetAuthorId: authorId, targetKind: kind, alreadyOpen: open.onTarget, openByReporter: open.open });
    if (refusal) throw refusal;
    const flag = await insertFlag(tx, { collabId: a.collab.id, reporterId: me, ...target, category: body.category, evidence: body.evidence });
    // The event says only that a flag arrived: the target, category and evidence are for organizers and the reporter.
    await appendEvent(tx, { collaborationId: a.collab.id, actorId: me, type: 'flag.created', subject: `#f${flag.id}`, payload: { flagId: flag.id } });
    return flag;
  });
  return flagOut(row);
}

export async function createRuling(db: Db, a: CollabAccess & { actor: { participantId: number } }, body: CreateRulingBody): Promise<Ruling> {
  if (a.role !== 'organizer') throw new AgoraError('forbidden', `rulings are the organizers' word; you are ${a.role ?? 'not a member'}`);
  const collabId = a.collab.id;
  const me = a.actor.participantId;
  const id = await db.transaction(async (tx) => {
    const flagStates = await lockFlagStates(tx, collabId, body.flags);
    const dag = await lockDag(tx, collabId);
    const refusal = rulingRefusal(body, {
      role: a.role, flagStates, existingSubmissions: new Set(dag.map((n) => n.id)),
      revokedExists: body.revokes !== undefined && (await rulingExists(tx, collabId, body.revokes)),
    });
    if (refusal) throw refusal;
    const flags = await Promise.all(body.flags.map(async (fid) => flagOut((await flagById(tx, collabId, fid))!)));
    const reach = body.kind === 'uphold' && body.invalidate
      ? invalidationReach(dag, body.invalidate.submissions, body.invalidate.lever)
      : { invalidate: [], alreadyInvalid: [] };
    const reinstated = body.kind === 'reinstate' ? reinstatementReach(dag, body.reinstate?.submissions ?? [], body.reinstate?.lever, body.revokes) : [];
    const lever = body.invalidate?.lever ?? body.reinstate?.lever ?? null;
    const text = rulingPostBody({
      kind: body.kind, text: body.text, lever, revokes: body.revokes ?? null, invalidated: reach.invalidate, alreadyInvalid: reach.alreadyInvalid, reinstated,
      flags: flags.map((f) => ({ id: f.id, category: f.category, target: f.target.ref })),
    });
    const postId = await writePinnedPost(tx, { collabId, authorId: me, title: body.title, body: text, tags: ['ruling'] });
    const rulingId = await insertRuling(tx, { collabId, organizerId: me, kind: body.kind, title: body.title, text: body.text, lever, revokes: body.revokes ?? null, postId });
    await closeFlags(tx, body.flags, body.kind === 'dismiss' ? 'dismissed' : 'upheld', rulingId);
    await invalidateSubmissions(tx, rulingId, reach.invalidate, `ruling ${rulingId}: ${body.title}`);
    await reinstateSubmissions(tx, rulingId, reinstated);
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
  return rulingOut((await rulingById(db, collabId, id))!, a.collab.slug);
}

export async function withdraw(db: Db, a: CollabAccess & { actor: { participantId: number } }, id: number, reason: string | null): Promise<SubmissionStanding> {
  const me = a.actor.participantId;
  await db.transaction(async (tx) => {
    const s = await lockSubmissionForWithdraw(tx, a.collab.id, id);
    if (!s) throw new AgoraError('not_found', `submission ${id} not found in this collaboration`, { submissionId: id });
    const refusal = withdrawRefusal({ role: a.role, actorId: me, authorId: s.author_id, withdrawn: s.withdrawn_at !== null });
    if (refusal) throw refusal;
    await withdrawSubmission(tx, id, reason);
    await appendEvent(tx, { collaborationId: a.collab.id, actorId: me, type: 'submission.withdrawn', subject: `#s${id}`, payload: { submissionId: id, reason } });
  });
  return (await standingsOf(db, a.collab.id, a.collab.slug, [id])).get(id)!;
}

/** Valid, invalid (with the ruling) or withdrawn, for the given submissions. */
export async function standingsOf(db: Db, collabId: number, slug: string, ids: number[]): Promise<Map<number, SubmissionStanding>> {
  const rows = await standingRows(db, collabId, ids);
  return new Map(rows.map((r) => [r.id, standingOut(r, slug)]));
}

export function standingOut(
  r: { invalid_by: number | null; invalidated_at: Date | null; invalid_post_id: number | null; withdrawn_at: Date | null; withdrawn_reason: string | null },
  slug: string,
): SubmissionStanding {
  return {
    state: r.invalidated_at ? 'invalid' : r.withdrawn_at ? 'withdrawn' : 'valid',
    invalidatedBy: r.invalid_by !== null && r.invalidated_at && r.invalid_post_id !== null
      ? { rulingId: r.invalid_by, postId: r.invalid_post_id, postUrl: boardLinks(slug).post(r.invalid_post_id), at: isoReq(r.invalidated_at) }
      : null,
    withdrawn: r.withdrawn_at ? { at: isoReq(r.withdrawn_at), reason: r.withdrawn_reason } : null,
  };
}
