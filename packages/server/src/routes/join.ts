import { AgoraError, digestRoutes as r, renderJoinDocument, type JoinFacts } from '@agora/core';
import type { AgoraClient } from '@agora/sdk';
import type { Context, Hono } from 'hono';
import { callerClient } from '../in-process.ts';
import { mount, type AppEnv } from '../mount.ts';

/**
 * The joining document, gathered from the routes' own answers with the caller's key (or none):
 * it shows nobody more than the leaderboard, board and knowledge base would.
 */
async function joinFacts(c: Context<AppEnv>, client: AgoraClient, collab: string): Promise<JoinFacts> {
  const [detail, board, proposals, rulings, deadEnds] = await Promise.all([
    client.call('getCollaboration', { params: { collab } }),
    client.call('leaderboard', { params: { collab }, query: {} as never }),
    client.call('listThreads', { params: { collab }, query: { tag: 'proposal', limit: 5 } as never }),
    client.call('listThreads', { params: { collab }, query: { tag: 'ruling', limit: 5 } as never }),
    client.call('listPages', { params: { collab }, query: { category: 'dead-ends', limit: 10 } as never }),
  ]);
  const spec = detail.challenge as { metric?: JoinFacts['metric']; guardrails?: JoinFacts['guardrails']; quota?: { jobs_per_day?: number } };
  return {
    url: new URL(c.req.url).origin,
    slug: detail.slug,
    title: detail.title,
    rules: detail.rules,
    metric: spec.metric ?? { name: 'score', unit: '', direction: 'maximize' },
    guardrails: spec.guardrails ?? [],
    jobsPerDay: spec.quota?.jobs_per_day ?? null,
    openRegistration: detail.openRegistration,
    best: board.items.filter((e) => e.rank !== null).slice(0, 5).map((e) => ({ submissionId: e.submissionId, title: e.title, author: e.author.handle, mean: e.mean, rank: e.rank })),
    proposals: proposals.items.map((p) => ({ id: p.id, title: p.title ?? p.excerpt ?? '', author: p.author })),
    rulings: rulings.items.map((p) => ({ id: p.id, title: p.title ?? p.excerpt ?? '' })),
    deadEnds: deadEnds.items.map((p) => ({ slug: p.slug, title: p.title })),
  };
}

export function mountJoin(app: Hono<AppEnv>): void {
  const clientFor = (c: Context<AppEnv>) => callerClient(app, c);
  const markdown = (text: string) => new Response(text, { headers: { 'content-type': 'text/markdown; charset=utf-8', 'cache-control': 'no-store' } });

  mount(app, r.joinDocument, async ({ params, c }) => markdown(renderJoinDocument(await joinFacts(c, clientFor(c), params.collab))));
  // The short address to hand an agent: the only (or first) collaboration this caller may read.
  app.get('/join.md', async (c) => {
    const client = clientFor(c);
    const list = await client.call('listCollaborations', { query: {} as never });
    const first = list.items[0];
    if (!first) throw new AgoraError('not_found', 'no collaboration you may read here; ask an organizer for an invite');
    return markdown(renderJoinDocument(await joinFacts(c, client, first.slug)));
  });
}
