import { z } from 'zod';
import { PostBody, PostTitle } from './board.ts';
import { Label } from './identity.ts';
import { Lever, SubmissionRef } from './submissions.ts';

/** Flags, rulings, withdrawal, the audit log, lineage, frontier, progress and final standings (issue 11). */

export const FLAG_CATEGORIES = ['loophole', 'overfitting', 'missing-attribution', 'broken-measurement', 'other'] as const;
/** loophole; overfitting to public data; missing attribution; broken measurement; other. */
export const FlagCategory = z.enum(FLAG_CATEGORIES);
export type FlagCategory = z.infer<typeof FlagCategory>;

export const FlagState = z.enum(['open', 'upheld', 'dismissed']);
export type FlagState = z.infer<typeof FlagState>;

/** How many submissions one ruling may name (seeds, before descendants are added). */
export const RULING_SUBMISSIONS_MAX = 100;
export const RULING_FLAGS_MAX = 50;

const Id = z.number().int().positive().max(2_147_483_647);

/** What is flagged: a submission (12, "#s12") or a post. Exactly one. */
export const CreateFlagBody = z
  .object({
    submission: SubmissionRef.optional(),
    post: Id.optional(),
    category: FlagCategory,
    /** Markdown: what you saw, how to reproduce it, links (#s12, #p45, job ids). Only organizers and you read it. */
    evidence: PostBody,
  })
  .refine((b) => (b.submission === undefined) !== (b.post === undefined), { message: 'flag exactly one of submission or post', path: ['submission'] });

export const FlagTarget = z.object({ kind: z.enum(['submission', 'post']), id: z.number().int(), ref: z.string() });

export const Flag = z.object({
  id: z.number().int(),
  /** "#f3". */
  ref: z.string(),
  target: FlagTarget,
  category: FlagCategory,
  evidence: z.string(),
  reporter: z.string(),
  state: FlagState,
  /** The ruling that closed it, if any. */
  rulingId: z.number().int().nullable(),
  createdAt: z.string(),
});
export type Flag = z.infer<typeof Flag>;

export const ListFlagsQuery = z.object({
  state: FlagState.optional(),
  submission: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const RulingKind = z.enum(['uphold', 'dismiss', 'reinstate']);
export type RulingKind = z.infer<typeof RulingKind>;

/** Which submissions a ruling reaches: the named ones and, with `lever`, every descendant (by declared parents) that carries it. */
export const RulingReach = z.object({
  submissions: z.array(SubmissionRef).max(RULING_SUBMISSIONS_MAX).default([]).transform((xs) => [...new Set(xs)]),
  lever: Lever.optional(),
});

export const CreateRulingBody = z.object({
  /** uphold (flags upheld; may invalidate), dismiss (flags dismissed; no effect), reinstate (makes invalid submissions valid again). */
  kind: RulingKind,
  /** The title of the pinned public post. */
  title: PostTitle,
  /** The ruling's reasons, markdown; the post adds what it decided and reached. */
  text: PostBody,
  /** Open flags this ruling closes (upheld or dismissed). */
  flags: z.array(Id).max(RULING_FLAGS_MAX).default([]).transform((xs) => [...new Set(xs)]),
  /** uphold: submissions to invalidate. */
  invalidate: RulingReach.optional(),
  /** reinstate: submissions to make valid again. */
  reinstate: RulingReach.optional(),
  /** reinstate: every submission still invalid by this earlier ruling (with or without `reinstate`). */
  revokes: Id.optional(),
});
export type CreateRulingBody = z.infer<typeof CreateRulingBody>;

export const Ruling = z.object({
  id: z.number().int(),
  kind: RulingKind,
  title: z.string(),
  text: z.string(),
  organizer: z.string(),
  flags: z.array(z.number().int()),
  lever: z.string().nullable(),
  revokes: z.number().int().nullable(),
  invalidated: z.array(z.number().int()),
  reinstated: z.array(z.number().int()),
  /** The pinned public post (tag `ruling`) that announces it. */
  postId: z.number().int(),
  postUrl: z.string(),
  createdAt: z.string(),
});
export type Ruling = z.infer<typeof Ruling>;

export const WithdrawBody = z.object({ reason: Label(1000).optional() });

/** Why a submission is out of the ranking. */
export const SubmissionStanding = z.object({
  state: z.enum(['valid', 'invalid', 'withdrawn']),
  invalidatedBy: z.object({ rulingId: z.number().int(), postId: z.number().int(), postUrl: z.string(), at: z.string() }).nullable(),
  withdrawn: z.object({ at: z.string(), reason: z.string().nullable() }).nullable(),
});
export type SubmissionStanding = z.infer<typeof SubmissionStanding>;

export const AuditEntry = z.object({
  eventId: z.number().int(),
  type: z.string(),
  organizer: z.string(),
  subject: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  at: z.string(),
});

// ---- lineage, frontier, progress ----

export const NodeScore = z.object({
  hardwareClass: z.string(),
  mean: z.number(),
  ciLow: z.number().nullable(),
  ciHigh: z.number().nullable(),
  n: z.number().int(),
  jobs: z.number().int(),
  rank: z.number().int().nullable(),
  tier: z.number().int().nullable(),
  guardrailsPassed: z.boolean(),
});

export const Badge = z.enum(['verified', 'diverged', 'verification-failed', 'guardrail-failed', 'invalid', 'withdrawn', 'duplicate']);
export type Badge = z.infer<typeof Badge>;

export const LineageNode = z.object({
  id: z.number().int(),
  ref: z.string(),
  title: z.string(),
  author: z.string(),
  /** Credited by the author (the ideas' originators). */
  credits: z.array(z.string()),
  /** Participants other than the author whose quota ran its jobs. */
  sponsors: z.array(z.string()),
  parents: z.array(z.number().int()),
  levers: z.array(z.string()),
  duplicateOf: z.number().int().nullable(),
  createdAt: z.string(),
  standing: SubmissionStanding,
  badges: z.array(Badge),
  /** Public-split pooled scores per hardware class, ranked as on the leaderboard (null rank: not ranked). */
  scores: z.array(NodeScore),
});
export type LineageNode = z.infer<typeof LineageNode>;

export const Lineage = z.object({
  metric: z.object({ name: z.string(), unit: z.string(), direction: z.enum(['maximize', 'minimize']) }),
  split: z.string(),
  /** Every submission (or those related to `of`), oldest first; edges are each node's parents. */
  nodes: z.array(LineageNode),
});

export const FrontierPoint = z.object({
  submissionId: z.number().int(),
  title: z.string(),
  author: z.string(),
  hardwareClass: z.string(),
  metric: z.number(),
  guardrail: z.number(),
  guardrailPassed: z.boolean(),
  onFrontier: z.boolean(),
});

export const Frontier = z.object({
  split: z.string(),
  metric: z.object({ name: z.string(), unit: z.string(), direction: z.enum(['maximize', 'minimize']) }),
  /** One front per guardrail metric: the primary metric against it, better is `direction` and the guardrail's op. */
  fronts: z.array(
    z.object({
      guardrail: z.object({ name: z.string(), op: z.enum(['<=', '>=']), threshold: z.number() }),
      points: z.array(FrontierPoint),
    }),
  ),
});

export const ProgressStep = z.object({
  at: z.string(),
  submissionId: z.number().int(),
  ref: z.string(),
  title: z.string(),
  author: z.string(),
  mean: z.number(),
  hardwareClass: z.string(),
});

export const Progress = z.object({
  metric: z.object({ name: z.string(), unit: z.string(), direction: z.enum(['maximize', 'minimize']) }),
  hardwareClass: z.string().nullable(),
  /** Each time the best verified result improved, oldest first. */
  steps: z.array(ProgressStep),
});

// ---- schedule and final standings ----

export const SchedulePhase = z.enum(['not-started', 'open', 'frozen', 'ended']);
export type SchedulePhase = z.infer<typeof SchedulePhase>;

export const ScheduleOut = z.object({
  start: z.string().nullable(),
  freeze: z.string().nullable(),
  end: z.string().nullable(),
  phase: SchedulePhase,
  now: z.string(),
});

export const StandingEntry = z.object({
  place: z.number().int(),
  tier: z.number().int().nullable(),
  submissionId: z.number().int(),
  title: z.string(),
  author: z.string(),
  hardwareClass: z.string(),
  mean: z.number(),
  ciLow: z.number().nullable(),
  ciHigh: z.number().nullable(),
  n: z.number().int(),
});

export const FinalStandings = z.object({
  publishedAt: z.string(),
  publishedBy: z.string(),
  postId: z.number().int(),
  postUrl: z.string(),
  split: z.string(),
  entries: z.array(StandingEntry),
});

export const Unverified = z.object({ submissionId: z.number().int(), hardwareClass: z.string() });

export const FinalizeResponse = z.object({
  /** Published now, or null when some ranked entries still await private verification. */
  standings: FinalStandings.nullable(),
  /** Ranked entries without a private result yet; the call queues their verification jobs (uncharged, once). */
  unverified: z.array(Unverified),
  /** The private-split jobs this call queued. */
  queuedJobs: z.array(z.number().int()),
});

// ---- automatic private verification (docs/decisions/0140) ----

/** pending: its private job has not ended (or its end is not released yet); void: the platform lost the run (errored, cancelled), no verdict. */
export const VerificationState = z.enum(['pending', 'verified', 'diverged', 'failed', 'inconclusive', 'void']);
export type VerificationState = z.infer<typeof VerificationState>;
/** What an organizer may set a verdict to. */
export const VerdictName = z.enum(['verified', 'diverged', 'failed']);
export type VerdictName = z.infer<typeof VerdictName>;
export const VerificationReasonName = z.enum(['new_leader', 'daily_top', 'organizer']);

export const Verification = z.object({
  id: z.number().int(),
  submissionId: z.number().int(),
  jobId: z.number().int(),
  split: z.string(),
  /** Why it ran: a new leader, the daily top K, or an organizer's request. */
  reason: VerificationReasonName,
  requestedBy: z.string(),
  /** What the private run said (pending until its end is released). */
  state: VerificationState,
  /** The verdict in force: an organizer's override, else `state` once decided; null while pending or void. */
  verdict: z.enum(['verified', 'diverged', 'failed', 'inconclusive']).nullable(),
  /** diverged: what did (guardrails, metric). */
  diverged: z.array(z.enum(['guardrails', 'metric'])),
  failedGuardrails: z.array(z.string()),
  /** Organizers only: private / public geometric mean of the metric (null for everyone else: a private figure). */
  ratio: z.number().nullable(),
  detail: z.string().nullable(),
  override: z.object({ verdict: VerdictName, reason: z.string(), by: z.string(), at: z.string() }).nullable(),
  /** The board post that announced the verdict (tag `verification`). */
  postId: z.number().int().nullable(),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
});
export type Verification = z.infer<typeof Verification>;

export const OverrideVerdictBody = z.object({ verdict: VerdictName, reason: Label(2000) });
export const VerifyBody = z.object({
  /** A private split of the challenge; default: its first. */
  split: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/).optional(),
});
export const ListVerificationsQuery = z.object({
  submission: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  state: VerificationState.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
