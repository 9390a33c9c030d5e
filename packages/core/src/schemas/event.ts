import { z } from 'zod';
import { Role } from './identity.ts';

/**
 * Every event the platform appends, one payload schema per type. The log, the live stream, the
 * SDK, the CLI and the dashboard all read this table; docs/events.md is checked against it by a
 * test. A new event type goes here first: `appendEvent` refuses a type or payload not named here.
 */

const Id = z.number().int();
const Handle = z.string();

/** What every job event carries, so a reader of the stream needs no lookup to tell whose job it is. */
const JobBase = {
  jobId: Id,
  submissionId: Id,
  split: z.string(),
  visibility: z.enum(['public', 'private']),
  attempt: z.number().int(),
  originatorId: Id,
  originator: Handle.nullable(),
  sponsorId: Id.nullable(),
  sponsor: Handle.nullable(),
  /** Set on a smoke run's events: it is never ranked (decision 0180). */
  smoke: z.literal(true).optional(),
};

/** A job moved along an edge of the lifecycle table (core/jobs/lifecycle.ts). */
const JobTransition = z.object({
  ...JobBase,
  state: z.string(),
  /** Redacted for private-split jobs where a runner's words could quote private data. */
  reason: z.string().nullable(),
  refunded: z.boolean(),
  /** Set when a runner's report made the move (not the sweeper or a cancel). */
  runnerId: Id.optional(),
  /** On job.succeeded and job.guardrail_failed: the summary of the samples just recorded. */
  mean: z.number().optional(),
  n: z.number().int().optional(),
  guardrailsPassed: z.boolean().optional(),
  hardwareClass: z.string().optional(),
});

const PageChange = { slug: z.string(), title: z.string(), category: z.string(), revision: z.number().int(), summary: z.string() };

export const EVENT_PAYLOADS = {
  'collaboration.created': z.object({ slug: z.string(), title: z.string() }).describe('A collaboration was created (its challenge loaded).'),
  'collaboration.updated': z.object({ openRegistration: z.boolean().optional(), anonymousObservers: z.boolean().optional() }).describe("An organizer changed the collaboration's settings; the payload holds the fields sent."),
  'invite.created': z.object({ role: Role, maxUses: z.number().int() }).describe('An organizer created an invite code (the code itself is never logged).'),
  'member.joined': z.object({ handle: Handle, role: Role }).describe('Someone registered with an invite, or was added as the creating organizer.'),
  'member.role_changed': z.object({ handle: Handle, role: Role }).describe("An organizer changed a member's role."),

  'post.created': z.object({ postId: Id, threadId: Id, replyTo: Id.nullable(), tags: z.array(z.string()), mentions: z.array(Handle) }).describe('A new thread (threadId = postId) or a reply on the board; `mentions` are the @handles it names.'),
  'post.edited': z.object({ postId: Id, threadId: Id, revision: z.number().int(), author: Handle }).describe('Its author edited a post; `revision` is the new revision number.'),
  'post.hidden': z.object({ postId: Id, threadId: Id, author: Handle, reason: z.string() }).describe('An organizer hid a post, with the reason shown in its place.'),

  'page.created': z.object(PageChange).describe('A knowledge-base page was created at revision 1.'),
  'page.edited': z.object({ ...PageChange, baseRevision: z.number().int() }).describe('A new revision of a page, made against `baseRevision`.'),
  'page.reverted': z.object({ ...PageChange, revertedFrom: z.number().int(), baseRevision: z.number().int() }).describe('Revision `revertedFrom` of a page restored as the new revision `revision`.'),

  'submission.created': z.object({
    id: Id, title: z.string(), author: Handle, parents: z.array(Id), levers: z.array(z.string()), credits: z.array(Handle),
    fingerprint: z.string(), duplicateOf: Id.nullable(), staged: z.boolean(), suggestedParents: z.array(Id),
  }).describe('A submission was uploaded: its declared parents, levers and credits, and what the platform found (a duplicate, parents it suggests).'),
  'submission.staged': z.object({ id: Id, staged: z.boolean() }).describe('Its author staged a submission: offered it for someone else to run on their quota.'),
  'submission.unstaged': z.object({ id: Id, staged: z.boolean() }).describe('Its author withdrew the offer to have a submission run by others.'),

  'submission.withdrawn': z.object({ submissionId: Id, reason: z.string().nullable() }).describe('Its author withdrew a submission: it leaves the ranking and stays in the lineage, marked withdrawn.'),
  'submission.invalidated': z.object({ submissionId: Id, rulingId: Id, postId: Id }).describe('A ruling made a submission invalid: it leaves the ranking and stays in the lineage; `postId` is the ruling\'s pinned post.'),
  'submission.reinstated': z.object({ submissionId: Id, rulingId: Id, postId: Id }).describe('A later ruling made an invalid submission valid again: it returns to the ranking.'),

  'flag.created': z.object({ flagId: Id }).describe('A participant flagged a submission or a post for the organizers (what, why and by whom are for organizers and the reporter only).'),
  'ruling.made': z.object({
    rulingId: Id, kind: z.enum(['uphold', 'dismiss', 'reinstate']), postId: Id, flags: z.array(Id), invalidated: z.array(Id), reinstated: z.array(Id),
    lever: z.string().nullable(), revokes: Id.nullable(),
  }).describe('An organizer ruled: flags upheld or dismissed, submissions invalidated (with `lever`: descendants carrying it too) or reinstated; announced by the pinned post `postId` tagged `ruling`.'),
  'standings.published': z.object({ postId: Id, split: z.string(), entries: z.number().int() }).describe('After the end, an organizer published the final standings (immutable), announced by the pinned post `postId`.'),

  'verification.queued': z.object({ verificationId: Id, submissionId: Id, jobId: Id, split: z.string(), reason: z.enum(['new_leader', 'daily_top', 'organizer']) })
    .describe('A private verification of a submission was queued (uncharged): by the verifier for a new leader or the daily top K, or by an organizer.'),
  'verification.decided': z.object({
    verificationId: Id, submissionId: Id, jobId: Id, state: z.enum(['verified', 'diverged', 'failed', 'inconclusive', 'void']),
    diverged: z.array(z.enum(['guardrails', 'metric'])), failedGuardrails: z.array(z.string()), postId: Id.nullable(),
  }).describe('The verifier decided a verification, at the release time after its private job ended: verified, diverged (with what), failed, inconclusive, or void (the platform lost the run); announced by the board post `postId` tagged `verification`.'),
  'verification.overridden': z.object({ verificationId: Id, submissionId: Id, verdict: z.enum(['verified', 'diverged', 'failed']), reason: z.string(), postId: Id })
    .describe('An organizer overrode a verdict, with a reason, announced by the board post `postId`.'),

  'artifact.uploaded': z.object({ sha256: z.string(), size: z.number().int(), mediaType: z.string() }).describe('An artifact (bundle, blob) was stored, addressed by its SHA-256.'),
  'artifact.upload_started': z.object({ uploadId: z.string(), size: z.number().int().nullable() }).describe('A resumable upload was opened.'),
  'artifact.upload_aborted': z.object({ uploadId: z.string() }).describe('A resumable upload was abandoned by its owner.'),

  'claim.created': z.object({ claimId: Id, author: Handle, lever: z.string().nullable(), submissionId: Id.nullable(), expiresAt: z.string() }).describe('A participant claimed work (a lever, a submission to build on) until `expiresAt`.'),
  'claim.released': z.object({ claimId: Id, author: Handle, releasedBy: Handle }).describe('A claim was ended before it expired, by its author or an organizer. (Expiry makes no event: it is a time.)'),

  'quota.granted': z.object({ handle: Handle, extraJobs: z.number().int(), reason: z.string(), expiresAt: z.string() }).describe('An organizer granted extra daily jobs to a participant until `expiresAt`.'),

  'runner.created': z.object({ runnerId: Id, name: z.string(), labels: z.array(z.string()) }).describe('An organizer registered a runner with its hardware labels.'),
  'runner.revoked': z.object({ runnerId: Id }).describe("A runner's token was revoked (platform-wide: no collaboration)."),

  'job.queued': z.object({ ...JobBase, state: z.literal('queued'), charged: z.boolean(), rerunOf: Id.nullable(), repeats: z.number().int() }).describe("A job was queued (`charged`: against a sponsor's quota; `rerunOf`: the job it repeats)."),
  'job.started': z.object({ ...JobBase, state: z.literal('running'), runnerId: Id, runnerName: z.string(), offline: z.boolean() }).describe('A runner claimed the job (`offline`: with a long lease, to run on a disconnected host).'),
  'job.cancel_requested': z.object({ ...JobBase, state: z.literal('running') }).describe('Cancelling a running job was asked for; its runner is told to stop it.'),
  'job.overdue': z.object({ ...JobBase, state: z.literal('queued'), reason: z.string() }).describe('A queued job waited past the queue deadline; `reason` says why (no runner with its labels online, a long queue).'),
  'job.succeeded': JobTransition.describe('The job ran and its result was recorded (`mean`, `n`, `guardrailsPassed`, `hardwareClass` summarise it).'),
  'job.guardrail_failed': JobTransition.describe('The job ran and its result was recorded, but a guardrail failed: not a success, shown unranked (`guardrailsPassed` false).'),
  'job.failed': JobTransition.describe("The job ran and the harness reported the submission's failure."),
  'job.timed_out': JobTransition.describe("The job ran past the challenge's wall limit."),
  'job.requeued': JobTransition.describe("An attempt was lost to the platform's fault (runner error, lost lease) and the job went back to the queue."),
  'job.errored': JobTransition.describe("Every attempt was lost to the platform's fault; the quota was refunded."),
  'job.cancelled': JobTransition.describe('The job was cancelled, before it started (refunded) or while running.'),
} as const satisfies Record<string, z.ZodObject>;

export type EventType = keyof typeof EVENT_PAYLOADS;
export type EventPayload<T extends EventType = EventType> = z.infer<(typeof EVENT_PAYLOADS)[T]>;
export type JobEventType = Extract<EventType, `job.${string}`>;

/** Every event type, in the order of the table above (the dashboard subscribes to each). */
export const EVENT_TYPES = Object.keys(EVENT_PAYLOADS) as EventType[];
export const EventTypeName = z.enum(EVENT_TYPES as [EventType, ...EventType[]]);

export const isEventType = (t: string): t is EventType => Object.hasOwn(EVENT_PAYLOADS, t);

const envelope = {
  id: z.number().int(),
  actor: z.string().nullable(),
  subject: z.string().nullable(),
  createdAt: z.string(),
};

type EnvelopeOf<T extends EventType> = z.ZodObject<{
  type: z.ZodLiteral<T>;
  payload: (typeof EVENT_PAYLOADS)[T];
  id: z.ZodNumber; actor: z.ZodNullable<z.ZodString>; subject: z.ZodNullable<z.ZodString>; createdAt: z.ZodString;
}>;

const variants = EVENT_TYPES.map((t) => z.object({ ...envelope, type: z.literal(t), payload: EVENT_PAYLOADS[t] }));

/** One event of the log as the API, the stream, the SDK and the CLI see it: discriminated by `type`. */
type Variant = { [T in EventType]: EnvelopeOf<T> }[EventType];
export const AgoraEvent = z.discriminatedUnion('type', variants as unknown as [Variant, ...Variant[]]);
export type AgoraEvent = z.infer<typeof AgoraEvent>;
export type AgoraEventOf<T extends EventType> = Extract<AgoraEvent, { type: T }>;

/**
 * Checks a payload before it is written: strict, so a field the table does not name is a bug
 * here, not a silent extra in the log. Throws with the type and the first issue.
 */
export function checkEventPayload<T extends EventType>(type: T, payload: unknown): EventPayload<T> {
  if (!isEventType(type)) throw new Error(`unknown event type ${JSON.stringify(type)}: add it to EVENT_PAYLOADS in packages/core/src/schemas/event.ts`);
  const parsed = (EVENT_PAYLOADS[type] as z.ZodObject).strict().safeParse(payload);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new Error(`event ${type}: payload.${i.path.join('.')}: ${i.message}`);
  }
  return parsed.data as EventPayload<T>;
}

/** The events of the given types, narrowed: `eventsOf(res.items, 'job.started')[0].payload.runnerName`. */
export function eventsOf<T extends EventType>(events: readonly AgoraEvent[], ...types: T[]): AgoraEventOf<T>[] {
  return events.filter((e): e is AgoraEventOf<T> => (types as EventType[]).includes(e.type));
}
