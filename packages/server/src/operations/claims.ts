import { AgoraError, enforce, mayClaim, mayReleaseClaim } from '@agora/core';
import { appendEvent } from '@agora/store';
import * as store from '@agora/store/claims';
import { findSubmission } from '@agora/store';
import { access, accessAs } from '../collab.ts';
import type { OperationCtx } from './board.ts';
import { checkWriteRate } from './write-rate.ts';

export type { ClaimRow } from '@agora/store/claims';

/** Work claims (decision 0116): claim, list the active ones, release. */
export async function createClaim(ctx: OperationCtx, slug: string, input: { lever?: string | undefined; submissionId?: number | undefined; note: string; hours: number }) {
  return ctx.db.transaction(async (tx) => {
    const a = await accessAs(tx, slug, ctx.actor, 'participant');
    // First: its per-participant lock also makes concurrent claims count the active ones one after the other.
    await checkWriteRate(tx, 'claim', { participantId: a.actor.participantId, collabId: a.collab.id, role: a.role });
    enforce(mayClaim(a.role, await store.countActiveClaimsOf(tx, a.collab.id, a.actor.participantId)));
    if (input.submissionId !== undefined && !(await findSubmission(tx, a.collab.id, input.submissionId)))
      throw new AgoraError('unprocessable', `#s${input.submissionId} is not a submission of this collaboration`, { submissionId: input.submissionId });
    const claim = await store.insertClaim(tx, {
      collaborationId: a.collab.id, participantId: a.actor.participantId, lever: input.lever ?? null,
      submissionId: input.submissionId ?? null, note: input.note, hours: input.hours,
    });
    const others = [
      ...(claim.lever ? await store.listActiveClaims(tx, a.collab.id, 20, { lever: claim.lever }) : []),
      ...(claim.submission_id ? await store.listActiveClaims(tx, a.collab.id, 20, { submissionId: claim.submission_id }) : []),
    ].filter((c, i, all) => c.id !== claim.id && c.participant_id !== claim.participant_id && all.findIndex((x) => x.id === c.id) === i);
    await appendEvent(tx, {
      collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'claim.created', subject: `claim:${claim.id}`,
      payload: { claimId: claim.id, author: claim.author_handle, lever: claim.lever, submissionId: claim.submission_id, expiresAt: claim.expires_at.toISOString() },
    });
    return { claim, overlaps: others };
  });
}

export async function listClaims(ctx: OperationCtx, slug: string, q: { lever?: string | undefined; submissionId?: number | undefined; limit: number }) {
  const a = await access(ctx.db, slug, ctx.actor);
  return store.listActiveClaims(ctx.db, a.collab.id, q.limit, { ...(q.lever ? { lever: q.lever } : {}), ...(q.submissionId ? { submissionId: q.submissionId } : {}) });
}

export async function releaseClaim(ctx: OperationCtx, slug: string, id: number) {
  return ctx.db.transaction(async (tx) => {
    const a = await accessAs(tx, slug, ctx.actor, 'participant');
    const claim = await store.findClaim(tx, a.collab.id, id);
    if (!claim) throw new AgoraError('not_found', `claim ${id} not found in this collaboration`, { claim: id });
    enforce(mayReleaseClaim({ authorId: claim.participant_id, releasedAt: claim.released_at, expiresAt: claim.expires_at }, { participantId: a.actor.participantId, role: a.role }, new Date()));
    const released = await store.markClaimReleased(tx, a.collab.id, id);
    await appendEvent(tx, {
      collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'claim.released', subject: `claim:${id}`,
      payload: { claimId: id, author: claim.author_handle, releasedBy: a.actor.handle },
    });
    return released;
  });
}
