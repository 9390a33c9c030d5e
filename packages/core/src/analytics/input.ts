/**
 * One collaboration's public record as the analytics read it: plain rows, handles for people,
 * times as Dates. The store fills it (store/analytics); everything here is pure.
 */
export interface AnalyticsInput {
  members: Array<{ handle: string; role: string; joinedAt: Date }>;
  posts: Array<{ id: number; author: string; threadId: number | null; replyTo: number | null; replyToAuthor: string | null; tags: string[]; hidden: boolean; createdAt: Date; mentions: string[]; submissions: number[] }>;
  submissions: Array<{ id: number; author: string; title: string; parents: number[]; credits: string[]; invalid: boolean; withdrawn: boolean; createdAt: Date }>;
  jobs: Array<{ id: number; submissionId: number; requestedBy: string; sponsor: string | null; author: string; split: string; state: string; createdAt: Date }>;
  results: Array<{ jobId: number; submissionId: number; split: string; hardwareClass: string; samples: number[]; guardrailsPassed: boolean; createdAt: Date }>;
  /** Empty unless the reader may see flags (organizers). */
  flags: Array<{ id: number; reporter: string; targetAuthor: string; category: string; state: string; createdAt: Date }>;
  rulings: Array<{ id: number; organizer: string; kind: string; postId: number; createdAt: Date; ruled: string[] }>;
  pageRevisions: Array<{ slug: string; number: number; author: string; createdAt: Date }>;
}

/** A time window, either end open; `to` is exclusive. */
export interface Window {
  from?: Date | undefined;
  to?: Date | undefined;
}

export const inWindow = (w: Window, at: Date): boolean =>
  (!w.from || at.getTime() >= w.from.getTime()) && (!w.to || at.getTime() < w.to.getTime());
