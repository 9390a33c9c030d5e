import { claimRoutes as r, type Claim } from '@agora/core';
import type { Hono } from 'hono';
import { iso, isoReq } from '../collab.ts';
import { mount, type AppEnv } from '../mount.ts';
import * as claims from '../operations/claims.ts';

/** Work claims' HTTP handlers: parse, call one operation (operations/claims.ts), shape the answer. */

export function claimOut(c: claims.ClaimRow, now = new Date()): Claim {
  return {
    id: c.id,
    author: c.author_handle,
    lever: c.lever,
    submissionId: c.submission_id,
    note: c.note,
    createdAt: isoReq(c.created_at),
    expiresAt: isoReq(c.expires_at),
    releasedAt: iso(c.released_at),
    active: !c.released_at && c.expires_at > now,
  };
}

export function mountClaims(app: Hono<AppEnv>): void {
  mount(app, r.createClaim, async ({ actor, params, body, services: { db } }) => {
    const res = await claims.createClaim({ db, actor }, params.collab, body);
    return { claim: claimOut(res.claim), overlaps: res.overlaps.map((c) => claimOut(c)) };
  });
  mount(app, r.listClaims, async ({ actor, params, query, services: { db } }) => ({
    items: (await claims.listClaims({ db, actor }, params.collab, query)).map((c) => claimOut(c)),
  }));
  mount(app, r.releaseClaim, async ({ actor, params, services: { db } }) => claimOut(await claims.releaseClaim({ db, actor }, params.collab, params.id)));
}
