import { createHash } from 'node:crypto';
import {
  AgoraError,
  edge,
  fairOrder,
  quotaLimit,
  quotaState,
  waitEstimateSeconds,
  type ChallengeSpec,
  type JobEventType,
  type JobState,
  type Role,
  type Transition,
} from '@agora/core';
import { appendEvent, EVENTS_CHANNEL, type NewEvent, type Queryable } from '@agora/store';
import { iso, isoReq } from './collab.ts';

/**
 * The job store: quota check-and-charge, state transitions with their events, and the shapes the
 * API returns. Route handlers (routes/jobs.ts, routes/runner.ts) and the sweeper call these
 * inside their transactions; every transition writes its event in the same transaction.
 */

export const LEASE_SECONDS = 60;
export const OFFLINE_MARGIN_SECONDS = 1800;
export const OFFLINE_MAX_SECONDS = 48 * 3600;
/** Runners seen within this many seconds count as online (queue estimates, overdue reasons). */
export const RUNNER_ONLINE_SECONDS = 120;

export const hashLease = (token: string) => createHash('sha256').update(token).digest('hex');

export interface JobRow {
  id: number;
  collaboration_id: number;
  submission_id: number;
  split: string;
  visibility: 'public' | 'private';
  repeats: number;
  hardware: string[];
  state: JobState;
  reason: string | null;
  overdue_at: Date | null;
  originator_id: number;
  sponsor_id: number | null;
  requested_by: number;
  rerun_of: number | null;
  attempt: number;
  max_attempts: number;
  cancel_requested: boolean;
  runner_id: number | null;
  lease_token_hash: string | null;
  lease_expires_at: Date | null;
  offline: boolean;
  log_lines: number;
  log_bytes: number;
  log_truncated: boolean;
  queued_at: Date;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

// ---------------------------------------------------------------- quota

/** One lock per (collaboration, participant): check and charge happen under it, so they are atomic. */
const lockQuota = (tx: Queryable, collabId: number, participantId: number) =>
  tx.query(`select pg_advisory_xact_lock(hashtextextended('agora-quota:' || $1::text || ':' || $2::text, 0))`, [collabId, participantId]);

export async function quotaOf(db: Queryable, collabId: number, participantId: number, challenge: ChallengeSpec, now = new Date()) {
  const base = challenge.quota?.jobs_per_day ?? 10;
  const charges = await db.query<{ charged_at: Date }>(
    `select charged_at from quota_charges
     where collaboration_id = $1 and participant_id = $2 and refunded_at is null and charged_at > $3::timestamptz - interval '24 hours'`,
    [collabId, participantId, now],
  );
  const grants = await db.query<{ extra_jobs: number; expires_at: Date }>(
    'select extra_jobs, expires_at from quota_grants where collaboration_id = $1 and participant_id = $2 and expires_at > $3',
    [collabId, participantId, now],
  );
  const limit = quotaLimit(base, grants.map((g) => ({ extraJobs: g.extra_jobs, expiresAt: g.expires_at })), now);
  return { ...quotaState(charges.map((c) => c.charged_at), limit, now), base, granted: limit - base };
}

/** The per-owner quota (`jobs_per_owner_per_day`): all agents of one human owner together; null when the challenge sets none. */
export async function ownerQuotaOf(db: Queryable, collabId: number, participantId: number, challenge: ChallengeSpec, now = new Date()) {
  const limit = challenge.quota?.jobs_per_owner_per_day;
  if (limit === undefined) return null;
  const [p] = await db.query<{ owner: string }>('select owner from participants where id = $1', [participantId]);
  const charges = await db.query<{ charged_at: Date }>(
    `select c.charged_at from quota_charges c join participants p on p.id = c.participant_id
     where c.collaboration_id = $1 and p.owner = $2 and c.refunded_at is null and c.charged_at > $3::timestamptz - interval '24 hours'`,
    [collabId, p!.owner, now],
  );
  return { owner: p!.owner, ...quotaState(charges.map((c) => c.charged_at), limit, now) };
}

/** Charges one job to a participant's quota (and its owner's, where the challenge sets one), or refuses with how many are used and when the next frees up. */
export async function chargeJob(tx: Queryable, collabId: number, participantId: number, jobId: number, challenge: ChallengeSpec): Promise<void> {
  // Locks in a fixed order (owner, then participant), so two chargers never deadlock.
  if (challenge.quota?.jobs_per_owner_per_day !== undefined) {
    await tx.query(
      `select pg_advisory_xact_lock(hashtextextended('agora-quota-owner:' || $1::text || ':' || owner, 0)) from participants where id = $2`,
      [collabId, participantId]);
  }
  await lockQuota(tx, collabId, participantId);
  // The database's clock, read after the lock: every charge compares against the same clock.
  const [{ now }] = (await tx.query<{ now: Date }>('select clock_timestamp() as now')) as [{ now: Date }];
  const q = await quotaOf(tx, collabId, participantId, challenge, now);
  if (q.remaining <= 0) {
    throw new AgoraError(
      'quota_exceeded',
      `job quota used up: ${q.used} of ${q.limit} jobs in the last 24 hours; the next one frees up at ${q.availableAt.toISOString()}`,
      { scope: 'participant', limit: q.limit, used: q.used, remaining: 0, nextFreesAt: q.availableAt.toISOString(), windowHours: 24 },
    );
  }
  const o = await ownerQuotaOf(tx, collabId, participantId, challenge, now);
  if (o && o.remaining <= 0) {
    throw new AgoraError(
      'quota_exceeded',
      `the agents of owner "${o.owner}" used ${o.used} of ${o.limit} jobs in the last 24 hours together; the next one frees up at ${o.availableAt.toISOString()}`,
      { scope: 'owner', owner: o.owner, limit: o.limit, used: o.used, remaining: 0, nextFreesAt: o.availableAt.toISOString(), windowHours: 24 },
    );
  }
  await tx.query('insert into quota_charges (collaboration_id, participant_id, job_id, charged_at) values ($1, $2, $3, $4)', [collabId, participantId, jobId, now]);
}

async function refund(tx: Queryable, jobId: number, reason: string): Promise<boolean> {
  const rows = await tx.query('update quota_charges set refunded_at = now(), refund_reason = $2 where job_id = $1 and refunded_at is null returning id', [jobId, reason]);
  return rows.length > 0;
}

// ---------------------------------------------------------------- transitions

export async function lockJob(tx: Queryable, jobId: number): Promise<JobRow | undefined> {
  const [row] = await tx.query<JobRow>('select * from jobs where id = $1 for update', [jobId]);
  return row;
}

/** A line from the platform itself in the job's log (state changes, reasons), or a runner's reason on the `runner` stream. */
export async function platformLog(tx: Queryable, job: Pick<JobRow, 'id' | 'attempt'>, text: string, stream: 'platform' | 'runner' = 'platform'): Promise<void> {
  await tx.query(
    `with n as (update jobs set log_lines = log_lines + 1, log_bytes = log_bytes + octet_length($2) where id = $1 returning log_lines)
     insert into job_logs (job_id, seq, attempt, stream, text) select $1, log_lines, $3, $4, $2 from n`,
    [job.id, text, job.attempt, stream],
  );
}

/** Wakes live log readers; they re-read job_logs after their last line, so nothing is carried. */
export const wakeLogReaders = (tx: Queryable) => tx.query('select pg_notify($1, $2)', [EVENTS_CHANNEL, '']);

export async function jobEvent(
  tx: Queryable,
  job: Pick<JobRow, 'id' | 'collaboration_id' | 'submission_id' | 'split' | 'visibility' | 'attempt' | 'originator_id' | 'sponsor_id'>,
  type: JobEventType,
  actorId: number | null,
  payload: Record<string, unknown> = {},
): Promise<void> {
  const people = await tx.query<{ id: number; handle: string }>('select id, handle from participants where id = any($1::int[])', [[job.originator_id, job.sponsor_id ?? job.originator_id]]);
  const handle = (id: number | null) => (id === null ? null : people.find((p) => p.id === id)?.handle ?? null);
  await appendEvent(tx, {
    collaborationId: job.collaboration_id,
    actorId,
    type,
    subject: `#j${job.id}`,
    payload: {
      jobId: job.id, submissionId: job.submission_id, split: job.split, visibility: job.visibility, attempt: job.attempt,
      originatorId: job.originator_id, originator: handle(job.originator_id), sponsorId: job.sponsor_id, sponsor: handle(job.sponsor_id), ...payload,
    },
  } as NewEvent<JobEventType>); // the extra fields vary by type: appendEvent checks them against the type's schema
}

/**
 * Moves a locked job along one edge of the lifecycle table: updates the job, closes the attempt,
 * refunds where the edge says so, logs the reason and appends the event. The caller holds the
 * row lock (lockJob) and has checked that the edge applies.
 */
export async function transition(
  tx: Queryable,
  job: JobRow,
  t: Transition,
  opts: { reason: string; actorId: number | null; outcome?: string; payload?: Record<string, unknown> },
): Promise<JobState> {
  const e = edge(t, job.state);
  const terminal = e.to !== 'queued';
  await tx.query(
    `update jobs set state = $2, reason = $3, runner_id = null, lease_token_hash = null, lease_expires_at = null,
       finished_at = case when $4 then now() else null end, overdue_at = null,
       cancel_requested = cancel_requested and not $4
     where id = $1`,
    [job.id, e.to, opts.reason, terminal],
  );
  if (job.state === 'running') {
    await tx.query('update job_attempts set ended_at = now(), outcome = $3, reason = $4 where job_id = $1 and attempt = $2 and ended_at is null', [
      job.id, job.attempt, opts.outcome ?? e.to, opts.reason,
    ]);
  }
  const refunded = e.charge === 'refund' ? await refund(tx, job.id, opts.reason) : false;
  await platformLog(tx, job, `[agora] ${e.to}: ${opts.reason}${refunded ? ' (quota refunded)' : ''}`);
  await wakeLogReaders(tx);
  await jobEvent(tx, job, e.event, opts.actorId, { state: e.to, reason: publicReason(job, e.to, opts.reason), refunded, ...opts.payload });
  return e.to;
}

/**
 * Reasons written by a runner for a private-split job may quote private data: non-organizers see
 * a stand-in. Reasons the platform writes (lease, queue, cancel) never do.
 */
export function publicReason(job: Pick<JobRow, 'visibility'>, state: JobState, reason: string | null): string | null {
  if (job.visibility !== 'private' || !reason) return reason;
  if (state === 'failed' || state === 'timed_out' || state === 'succeeded')
    return `${state} on the private split; the runner's reason is visible to organizers only (it may quote private data)`;
  return reason;
}

// ---------------------------------------------------------------- queue view

interface QueueCtx {
  position: Map<number, number>;
  estimate: Map<number, number | null>;
}

/** Queue positions (fair order, among jobs with the same hardware) and wait estimates for queued jobs. */
export async function queueContext(db: Queryable, jobIds: number[]): Promise<QueueCtx> {
  const out: QueueCtx = { position: new Map(), estimate: new Map() };
  if (!jobIds.length) return out;
  const queued = await db.query<{ id: number; collaboration_id: number; requested_by: number; queued_at: Date; hardware: string[]; repeats: number; challenge: ChallengeSpec }>(
    `select j.id, j.collaboration_id, j.requested_by, j.queued_at, j.hardware, j.repeats, c.challenge
     from jobs j join collaborations c on c.id = j.collaboration_id where j.state = 'queued'`,
  );
  const running = await db.query<{ requested_by: number; collaboration_id: number; hardware: string[] }>(
    `select requested_by, collaboration_id, hardware from jobs where state = 'running'`,
  );
  const runners = await db.query<{ labels: string[]; collaboration_ids: number[] | null }>(
    `select labels, collaboration_ids from runners where revoked_at is null and last_seen_at > now() - make_interval(secs => $1)`,
    [RUNNER_ONLINE_SECONDS],
  );
  const durations = await db.query<{ collaboration_id: number; seconds: number }>(
    `select collaboration_id, avg(extract(epoch from finished_at - started_at))::float8 as seconds
     from (select collaboration_id, finished_at, started_at from jobs
           where state in ('succeeded', 'failed', 'timed_out') and started_at is not null and finished_at > now() - interval '7 days'
           order by finished_at desc limit 500) recent group by collaboration_id`,
  );
  const count = (m: Map<number, number>, k: number) => m.set(k, (m.get(k) ?? 0) + 1);
  const byOwner = new Map<number, number>();
  const byCollaboration = new Map<number, number>();
  for (const r of running) {
    count(byOwner, r.requested_by);
    count(byCollaboration, r.collaboration_id);
  }
  const order = fairOrder(queued.map((q) => ({ ...q, ownerId: q.requested_by, collaborationId: q.collaboration_id, queuedAt: q.queued_at })), { byOwner, byCollaboration });
  const hw = (h: string[]) => [...h].sort().join(',');
  const mean = new Map(durations.map((d) => [d.collaboration_id, d.seconds]));
  const wanted = new Set(jobIds);
  const seenPerClass = new Map<string, number>();
  for (const j of order) {
    const cls = hw(j.hardware);
    const position = (seenPerClass.get(cls) ?? 0) + 1;
    seenPerClass.set(cls, position);
    if (!wanted.has(j.id)) continue;
    out.position.set(j.id, position);
    const able = runners.filter((r) => j.hardware.every((l) => r.labels.includes(l)) && (!r.collaboration_ids || r.collaboration_ids.includes(j.collaboration_id)));
    const limits = j.challenge.limits ?? { wall_seconds: 600 };
    out.estimate.set(j.id, waitEstimateSeconds({
      position,
      running: running.filter((r) => hw(r.hardware) === cls).length,
      runners: able.length,
      recentMeanSeconds: mean.get(j.collaboration_id) ?? null,
      fallbackSeconds: limits.wall_seconds * j.repeats,
    }));
  }
  return out;
}

// ---------------------------------------------------------------- API shapes

export interface JobViewRow extends JobRow {
  slug: string;
  originator_handle: string;
  sponsor_handle: string | null;
  requester_handle: string;
  charged: boolean;
  refunded: boolean;
}

export const JOB_VIEW_SQL = `
  select j.*, c.slug, po.handle as originator_handle, ps.handle as sponsor_handle, pr.handle as requester_handle,
    (qc.id is not null) as charged, (qc.refunded_at is not null) as refunded
  from jobs j
  join collaborations c on c.id = j.collaboration_id
  join participants po on po.id = j.originator_id
  left join participants ps on ps.id = j.sponsor_id
  join participants pr on pr.id = j.requested_by
  left join quota_charges qc on qc.job_id = j.id`;

interface AttemptRow { job_id: number; attempt: number; runner_id: number; runner_name: string; started_at: Date; ended_at: Date | null; outcome: string | null; reason: string | null }
interface ResultRow {
  job_id: number; hardware_class: string; metric: { name: string; unit: string; direction: 'maximize' | 'minimize' }; samples: number[];
  guardrails: Array<Record<string, unknown>>; guardrails_passed: boolean; per_prompt: Array<Record<string, unknown>>;
  extra: Record<string, unknown>; harness: { name: string; version: string }; environment: Record<string, unknown>; created_at: Date;
}

/** Shapes jobs for a viewer; private-split details (runner reasons, per-prompt samples, extras, logs) only for organizers. */
export async function jobsOut(db: Queryable, rows: JobViewRow[], viewerRole: Role | null, opts: { details: boolean }) {
  const ids = rows.map((r) => r.id);
  const organizer = viewerRole === 'organizer';
  const queue = await queueContext(db, rows.filter((r) => r.state === 'queued').map((r) => r.id));
  const attempts = opts.details && ids.length
    ? await db.query<AttemptRow>(
        `select a.*, r.name as runner_name from job_attempts a join runners r on r.id = a.runner_id where a.job_id = any($1::int[]) order by a.job_id, a.attempt`,
        [ids],
      )
    : [];
  const results = opts.details && ids.length ? await db.query<ResultRow>('select * from results where job_id = any($1::int[])', [ids]) : [];
  return rows.map((j) => {
    const hidden = j.visibility === 'private' && !organizer;
    const r = results.find((x) => x.job_id === j.id);
    return {
      id: j.id,
      collaboration: j.slug,
      submissionId: j.submission_id,
      split: j.split,
      visibility: j.visibility,
      repeats: j.repeats,
      hardware: j.hardware,
      state: j.state,
      reason: hidden ? publicReason(j, j.state, j.reason) : j.reason,
      overdueAt: iso(j.overdue_at),
      originator: { id: j.originator_id, handle: j.originator_handle },
      sponsor: j.sponsor_id ? { id: j.sponsor_id, handle: j.sponsor_handle! } : null,
      requestedBy: { id: j.requested_by, handle: j.requester_handle },
      charged: j.charged,
      refunded: j.refunded,
      attempt: j.attempt,
      maxAttempts: j.max_attempts,
      cancelRequested: j.cancel_requested,
      rerunOf: j.rerun_of,
      queuePosition: queue.position.get(j.id) ?? null,
      waitEstimateSeconds: queue.estimate.get(j.id) ?? null,
      leaseExpiresAt: iso(j.lease_expires_at),
      createdAt: isoReq(j.created_at),
      startedAt: iso(j.started_at),
      finishedAt: iso(j.finished_at),
      attempts: attempts.filter((a) => a.job_id === j.id).map((a) => ({
        attempt: a.attempt, runnerId: a.runner_id, runnerName: a.runner_name, startedAt: isoReq(a.started_at), endedAt: iso(a.ended_at),
        outcome: a.outcome, reason: hidden && a.outcome !== 'errored' && a.outcome !== 'lease_lost' ? publicReason(j, 'failed', a.reason) : a.reason,
      })),
      result: r ? resultOut(r, hidden) : null,
    };
  });
}

export function resultOut(r: ResultRow, hidden: boolean) {
  return {
    metric: { ...r.metric, samples: r.samples },
    // Guardrail values and verdicts are public; their free-form detail may quote private prompts.
    guardrails: hidden ? r.guardrails.map(({ detail: _detail, ...g }) => g) : r.guardrails,
    guardrailsPassed: r.guardrails_passed,
    samples: hidden ? null : r.per_prompt,
    extra: hidden ? {} : r.extra,
    harness: r.harness,
    hardwareClass: r.hardware_class,
    environment: r.environment,
    createdAt: isoReq(r.created_at),
  };
}

/** Opaque cursors over descending ids. */
export const encodeCursor = (id: number) => Buffer.from(`j:${id}`).toString('base64url');
export function decodeCursor(c: string | undefined): number | null {
  if (!c) return null;
  const m = /^j:(\d{1,10})$/.exec(Buffer.from(c, 'base64url').toString());
  if (!m) throw new AgoraError('validation_failed', 'invalid cursor: pass back the nextCursor of a previous page');
  return Number(m[1]);
}
