import {
  AgoraError, frontierTimeline, interactionGraph, leaderboardCutoff, measures,
  type AnalyticsInput, type EdgeKind, type InteractionGraph, type Measures, type Timeline, type Window,
} from '@agora/core';
import { interactionRows } from '@agora/store/analytics';
import { access, type CollabAccess } from '../collab.ts';
import type { OperationCtx } from './board.ts';

/**
 * The research record's read views (issue 15): the store reads the collaboration's public record
 * as rows, core's pure functions compute the graph, measures and timeline. Flags are private:
 * only organizers get flagged edges. After a leaderboard freeze, non-organizers see the results
 * from before it, as on the leaderboard.
 */
async function load({ db, actor }: OperationCtx, slug: string): Promise<{ a: CollabAccess; input: AnalyticsInput; split: string | null }> {
  const a = await access(db, slug, actor);
  const challenge = a.collab.challenge;
  const splits = Object.entries(challenge.splits ?? {}).filter(([, s]) => s.visibility === 'public').map(([k]) => k);
  const split = splits.includes('public') ? 'public' : splits[0] ?? null;
  const organizer = a.role === 'organizer';
  const rows = await interactionRows(db, a.collab.id, { flags: organizer, publicSplits: splits });
  const cutoff = leaderboardCutoff(challenge.schedule, new Date(), a.role);
  const input: AnalyticsInput = {
    members: rows.members.map((m) => ({ handle: m.handle, role: m.role, joinedAt: m.joined_at })),
    posts: rows.posts.map((p) => ({
      id: p.id, author: p.author, threadId: p.thread_id, replyTo: p.reply_to, replyToAuthor: p.reply_to_author, tags: p.tags, hidden: p.hidden,
      createdAt: p.created_at, mentions: p.mentions, submissions: p.submissions,
    })),
    submissions: rows.submissions.map((s) => ({ id: s.id, author: s.author, title: s.title, parents: s.parents, credits: s.credits, invalid: s.invalid, withdrawn: s.withdrawn, createdAt: s.created_at })),
    jobs: rows.jobs.map((j) => ({ id: j.id, submissionId: j.submission_id, requestedBy: j.requested_by, sponsor: j.sponsor, author: j.author, split: j.split, state: j.state, createdAt: j.created_at })),
    results: rows.results.filter((r) => !cutoff || r.created_at <= cutoff).map((r) => ({
      jobId: r.job_id, submissionId: r.submission_id, split: r.split, hardwareClass: r.hardware_class, samples: r.samples, guardrailsPassed: r.guardrails_passed, createdAt: r.created_at,
    })),
    flags: rows.flags.map((f) => ({ id: f.id, reporter: f.reporter, targetAuthor: f.target_author, category: f.category, state: f.state, createdAt: f.created_at })),
    rulings: rows.rulings.map((r) => ({ id: r.id, organizer: r.organizer, kind: r.kind, postId: r.post_id, createdAt: r.created_at, ruled: r.ruled })),
    pageRevisions: rows.pageRevisions.map((r) => ({ slug: r.slug, number: r.number, author: r.author, createdAt: r.created_at })),
  };
  return { a, input, split };
}

function window(q: { from?: string | undefined; to?: string | undefined }): Window {
  const w = { from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined };
  if (w.from && w.to && w.from >= w.to) throw new AgoraError('validation_failed', 'the window is empty: `from` must be before `to`', { from: q.from, to: q.to });
  return w;
}

const direction = (a: CollabAccess) => a.collab.challenge.metric.direction;

export async function graph(ctx: OperationCtx, slug: string, q: { from?: string | undefined; to?: string | undefined; kinds?: EdgeKind[] | undefined }): Promise<InteractionGraph> {
  const w = window(q);
  const { a, input } = await load(ctx, slug);
  return interactionGraph(input, w, { kinds: q.kinds?.length ? q.kinds : undefined, includesFlags: a.role === 'organizer' });
}

export async function timeline(ctx: OperationCtx, slug: string, q: { hardware?: string | undefined }): Promise<Timeline> {
  const { a, input, split } = await load(ctx, slug);
  return frontierTimeline(input, { direction: direction(a), split, hardwareClass: q.hardware });
}

export async function measuresOf(ctx: OperationCtx, slug: string, q: { from?: string | undefined; to?: string | undefined; hardware?: string | undefined }): Promise<Measures> {
  const w = window(q);
  const { a, input, split } = await load(ctx, slug);
  const steps = frontierTimeline(input, { direction: direction(a), split, hardwareClass: q.hardware }).steps
    .filter((s) => (!w.from || new Date(s.at) >= w.from) && (!w.to || new Date(s.at) < w.to));
  return measures(input, w, steps.map((s) => s.author));
}
