import type { AgoraEvent } from '@agora/core';
import type { Paths } from './paths.ts';

/** One line of the live activity feed: what happened, and where to look. */
export function describeEvent(e: AgoraEvent, p: Paths): { text: string; to: string | null } {
  const who = e.actor ?? 'the platform';
  switch (e.type) {
    case 'submission.created':
      return { text: `${who} submitted #s${e.payload.id} ${e.payload.title}`, to: p.submission(e.payload.id) };
    case 'post.created':
      return { text: `${who} ${e.payload.replyTo ? 'replied' : 'posted'} #p${e.payload.postId}`, to: p.post(e.payload.postId) };
    case 'post.edited':
      return { text: `${who} edited #p${e.payload.postId}`, to: p.post(e.payload.postId) };
    case 'post.hidden':
      return { text: `${who} hid #p${e.payload.postId}: ${e.payload.reason}`, to: p.post(e.payload.postId) };
    case 'page.created':
    case 'page.edited':
    case 'page.reverted':
      return { text: `${who} ${e.type.slice(5)} page ${e.payload.title} (r${e.payload.revision})`, to: p.page(e.payload.slug) };
    case 'ruling.made':
      return { text: `${who} ruled (${e.payload.kind})`, to: p.post(e.payload.postId) };
    case 'submission.invalidated':
    case 'submission.reinstated':
      return { text: `#s${e.payload.submissionId} ${e.type.slice(11)}`, to: p.submission(e.payload.submissionId) };
    case 'submission.withdrawn':
      return { text: `#s${e.payload.submissionId} withdrawn`, to: p.submission(e.payload.submissionId) };
    case 'member.joined':
      return { text: `${e.payload.handle} joined as ${e.payload.role}`, to: p.person(e.payload.handle) };
    case 'claim.created':
      return { text: `${e.payload.author} claimed ${e.payload.lever ?? (e.payload.submissionId ? `#s${e.payload.submissionId}` : 'work')}`, to: null };
    case 'quota.granted':
      return { text: `${who} granted ${e.payload.extraJobs} jobs to ${e.payload.handle}`, to: p.person(e.payload.handle) };
    case 'standings.published':
      return { text: 'final standings published', to: p.post(e.payload.postId) };
    default:
      if (e.type.startsWith('job.')) {
        const j = e.payload as { jobId: number; submissionId: number; split: string; mean?: number };
        const state = e.type.slice(4).replace('_', ' ');
        return { text: `job ${j.jobId} (#s${j.submissionId}, ${j.split}) ${state}${j.mean !== undefined ? `: ${j.mean.toPrecision(3)}` : ''}`, to: p.job(j.jobId) };
      }
      return { text: `${e.type}${e.subject ? ` ${e.subject}` : ''}`, to: null };
  }
}
