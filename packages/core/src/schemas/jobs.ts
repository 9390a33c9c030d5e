import { z } from 'zod';
import { Handle, Label } from './identity.ts';
import { HarnessResult } from './result.ts';

/** Jobs, runners, quota and results: the wire shapes of issue 4. */

/** `guardrail_failed`: scored, but a guardrail failed (a result is recorded; it is not a success, and never ranked). */
export const JobState = z.enum(['queued', 'running', 'succeeded', 'guardrail_failed', 'failed', 'errored', 'timed_out', 'cancelled']);
export type JobState = z.infer<typeof JobState>;

/** What a runner reports at the end of a job; `errored` is the infrastructure's fault (refunded, retried). */
export const JobOutcome = z.enum(['succeeded', 'failed', 'errored', 'timed_out']);
export type JobOutcome = z.infer<typeof JobOutcome>;

export const RunnerLabel = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,31}$/, 'a label is 1-32 lowercase letters, digits, "_", "." or "-"');
export const RunnerLabels = z.array(RunnerLabel).max(32);

const Short = (max: number) => z.string().max(max);

/** The environment fingerprint every result records: results from different hardware are never silently compared. */
export const RunnerEnvironment = z.object({
  runnerId: z.number().int().optional(),
  hostname: Short(255).optional(),
  os: Short(200).optional(),
  cpu: Short(200),
  cpuCount: z.number().int().min(0).max(100_000).optional(),
  memoryMb: z.number().int().min(0).optional(),
  gpu: Short(200).nullable().optional(),
  gpuCount: z.number().int().min(0).max(1024).optional(),
  driver: Short(200).nullable().optional(),
  libraries: z.record(Short(100), Short(200)).refine((r) => Object.keys(r).length <= 64, 'at most 64 libraries').optional(),
  harnessVersion: Short(100).optional(),
  sandbox: Short(100).optional(),
  /** The runner's per-submission compile cache for this job: none, a new or empty entry, or one an earlier job filled (docs/decisions/0071). */
  compile_cache: z.enum(['off', 'cold', 'warm']).optional(),
});
export type RunnerEnvironment = z.infer<typeof RunnerEnvironment>;

export const LogStream = z.enum(['harness', 'stdout', 'stderr', 'runner', 'platform']);
export const LogLineIn = z.object({ stream: LogStream.exclude(['platform']), text: z.string().max(16_384) });
export const LogLine = z.object({ seq: z.number().int(), stream: LogStream, text: z.string(), at: z.string() });
export type LogLine = z.infer<typeof LogLine>;

// ---- runner protocol ----

export const CreateRunnerBody = z.object({
  name: Label(100),
  labels: RunnerLabels.min(1),
  /** Collaboration slugs this runner may serve; null: all (server admins only). */
  collaborations: z.array(z.string().max(63)).max(100).nullable().default(null),
});
export const IssuedRunner = z.object({ runnerId: z.number().int(), token: z.string() });

export const RunnerInfo = z.object({
  id: z.number().int(),
  name: z.string(),
  labels: z.array(z.string()),
  collaborations: z.array(z.string()).nullable(),
  environment: z.record(z.string(), z.unknown()).nullable(),
  createdAt: z.string(),
  lastSeenAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const RunnerHeartbeatBody = z.object({
  labels: RunnerLabels,
  environment: RunnerEnvironment,
  activeJobs: z.array(z.number().int().positive()).max(256).default([]),
});
export const RunnerHeartbeatResponse = z.object({ ok: z.literal(true), cancel: z.array(z.number().int()) });

export const ClaimBody = z.object({
  labels: RunnerLabels,
  /** Ask for a long lease (wall limit × repeats + margin, at most 48 h) to carry the job to an offline host. */
  offline: z.boolean().default(false),
});

export const ClaimedJob = z.object({
  jobId: z.number().int(),
  attempt: z.number().int(),
  leaseToken: z.string(),
  leaseExpiresAt: z.string(),
  leaseSeconds: z.number().int(),
  collaboration: z.string(),
  challengeId: z.string(),
  challenge: z.record(z.string(), z.unknown()),
  split: z.string(),
  submissionId: z.number().int(),
  bundleSha256: z.string(),
  /** GET it with ?leaseToken=: the submission's tar.gz. */
  bundlePath: z.string(),
  /** Large artifacts: `path` is where the submission expects the file inside its unpacked bundle; fetch each from GET /v1/runner/artifacts/{sha256}?jobId=&leaseToken=. */
  artifacts: z.array(z.object({ sha256: z.string(), path: z.string() })),
  limits: z.object({
    wall_seconds: z.number().int(),
    cpu_seconds: z.number().int(),
    memory_mb: z.number().int(),
    processes: z.number().int(),
  }),
  repeats: z.number().int(),
  /** A smoke run: the harness gets --smoke (one untimed request on public data, nothing scored; decision 0180). */
  smoke: z.boolean().default(false),
});
export type ClaimedJob = z.infer<typeof ClaimedJob>;
export const ClaimResponse = z.object({ job: ClaimedJob.nullable() });

export const LeaseToken = z.string().min(16).max(128);
export const JobHeartbeatBody = z.object({ leaseToken: LeaseToken });
export const JobHeartbeatResponse = z.object({ leaseExpiresAt: z.string(), cancelRequested: z.boolean() });

export const MAX_LOG_LINES_PER_CALL = 500;
export const MAX_LOG_BYTES_PER_CALL = 64 * 1024;
export const MAX_LOG_BYTES_PER_JOB = 4 * 1024 * 1024;
export const AppendLogsBody = z.object({
  leaseToken: LeaseToken,
  lines: z.array(LogLineIn).max(MAX_LOG_LINES_PER_CALL),
});
export const AppendLogsResponse = z.object({ accepted: z.number().int(), truncated: z.boolean() });

export const ResultBody = z.object({
  leaseToken: LeaseToken,
  outcome: JobOutcome,
  /** Required for succeeded; optional for failed / timed_out (what the harness wrote, if anything). */
  result: HarnessResult.optional(),
  /** Why it failed, errored or timed out: shown to the participant, so make it actionable. */
  reason: z.string().max(4000).optional(),
  environment: RunnerEnvironment,
});
export const ResultResponse = z.object({
  jobId: z.number().int(),
  state: JobState,
  /** For errored: whether the job went back to the queue for another attempt. */
  requeued: z.boolean(),
});

// ---- participant-facing ----

export const PersonRef = z.object({ id: z.number().int(), handle: Handle });

export const JobResult = z.object({
  metric: z.object({ name: z.string(), unit: z.string(), direction: z.enum(['maximize', 'minimize']), samples: z.array(z.number()) }),
  guardrails: z.array(z.record(z.string(), z.unknown())),
  guardrailsPassed: z.boolean(),
  /** Per-prompt samples; null where hidden (private split, caller not an organizer). */
  samples: z.array(z.record(z.string(), z.unknown())).nullable(),
  extra: z.record(z.string(), z.unknown()),
  harness: z.object({ name: z.string(), version: z.string() }),
  hardwareClass: z.string(),
  environment: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type JobResult = z.infer<typeof JobResult>;

export const JobAttempt = z.object({
  attempt: z.number().int(),
  runnerId: z.number().int(),
  runnerName: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  outcome: z.string().nullable(),
  reason: z.string().nullable(),
});

export const Job = z.object({
  id: z.number().int(),
  collaboration: z.string(),
  submissionId: z.number().int(),
  split: z.string(),
  visibility: z.enum(['public', 'private']),
  repeats: z.number().int(),
  /** Runner labels the job needs. */
  hardware: z.array(z.string()),
  state: JobState,
  /** Why it is in this state (failures, errors, time-outs, cancellations, overdue notices): actionable. */
  reason: z.string().nullable(),
  /** Set when the platform noticed the job past a deadline in its state. */
  overdueAt: z.string().nullable(),
  originator: PersonRef,
  /** Whose quota paid for it; null when uncharged (organizer verification or re-run). */
  sponsor: PersonRef.nullable(),
  requestedBy: PersonRef,
  charged: z.boolean(),
  refunded: z.boolean(),
  attempt: z.number().int(),
  maxAttempts: z.number().int(),
  cancelRequested: z.boolean(),
  rerunOf: z.number().int().nullable(),
  /** A smoke run (decision 0180): never charged, never ranked, no result; its reason says what it found. */
  smoke: z.boolean(),
  queuePosition: z.number().int().nullable(),
  waitEstimateSeconds: z.number().int().nullable(),
  leaseExpiresAt: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  attempts: z.array(JobAttempt),
  result: JobResult.nullable(),
});
export type Job = z.infer<typeof Job>;

export const JobSummary = Job.omit({ attempts: true, result: true });

export const CreateJobBody = z.object({
  submissionId: z.number().int().positive().max(2_147_483_647),
  split: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  repeats: z.number().int().min(1).max(100).optional(),
});

export const Quota = z.object({
  limit: z.number().int(),
  base: z.number().int(),
  granted: z.number().int(),
  used: z.number().int(),
  remaining: z.number().int(),
  /** When the oldest charge in the window leaves it; null if nothing is charged. */
  nextFreesAt: z.string().nullable(),
  windowHours: z.number().int(),
  /** The shared quota of all agents of the same human owner, where the challenge sets jobs_per_owner_per_day. */
  owner: z.object({ name: z.string(), limit: z.number().int(), used: z.number().int(), remaining: z.number().int() }).nullable(),
});

export const GrantBody = z.object({
  handle: Handle,
  extraJobs: z.number().int().min(1).max(10_000),
  reason: Label(500),
  /** How long the grant lasts; default 24 h. */
  hours: z.number().int().min(1).max(24 * 365).default(24),
});
export const Grant = z.object({
  id: z.number().int(),
  participant: PersonRef,
  extraJobs: z.number().int(),
  reason: z.string(),
  grantedBy: PersonRef,
  createdAt: z.string(),
  expiresAt: z.string(),
});

/** An interval on the metric's scale; for a ratio, of A over B (1 is a tie). */
const Interval = z.object({ estimate: z.number(), low: z.number().nullable(), high: z.number().nullable() });

export const LeaderboardEntry = z.object({
  /** 1 + the ranked entries of this hardware class whose interval lies wholly above (docs/decisions/0105); null when not ranked. */
  rank: z.number().int().nullable(),
  /** Dense numbering of the distinct ranks: entries of one tier are statistical ties with the same entries above them. */
  tier: z.number().int().nullable(),
  /** Why the entry is not ranked: its private verification diverged or failed, a guardrail failed, or its pool has fewer jobs or samples than the challenge's minimum. */
  unranked: z.enum(['verification_diverged', 'verification_failed', 'guardrail_failed', 'too_few_jobs', 'too_few_samples']).nullable(),
  /** The badge: the verdict in force of its private verification (diverged and failed leave the ranking, docs/decisions/0140); null: not verified yet. */
  verdict: z.enum(['verified', 'diverged', 'failed', 'inconclusive']).nullable(),
  /** The original submission of this fingerprint; its exact duplicates pool into it (duplicates). */
  submissionId: z.number().int(),
  duplicates: z.array(z.number().int()),
  title: z.string(),
  author: PersonRef,
  sponsors: z.array(PersonRef),
  hardwareClass: z.string(),
  jobs: z.number().int(),
  n: z.number().int(),
  /** Arithmetic mean of every pooled sample. */
  mean: z.number(),
  stdev: z.number().nullable(),
  /** The centre of the interval: the geometric mean on the log scale, the mean on the linear one. */
  center: z.number(),
  /** The pooled interval at `confidence`, on the challenge's scale (positive for a speed). */
  ciLow: z.number().nullable(),
  ciHigh: z.number().nullable(),
  /** Ratio to the challenge's baseline interleaved in the same jobs, with its interval; null without baseline runs. */
  baselineRatio: Interval.extend({ n: z.number().int() }).nullable(),
  guardrailsPassed: z.boolean(),
  failedGuardrails: z.array(z.string()),
  lastResultAt: z.string(),
});
export const NoiseFloor = z.object({
  hardwareClass: z.string(),
  /** Entries with at least two samples that passed their guardrails, which the floor is the median over. */
  entries: z.number().int(),
  /** Spread of one sample and of one job's mean, on the challenge's scale (log units: about the coefficient of variation). */
  sampleSd: z.number().nullable(),
  jobSd: z.number().nullable(),
  /** On the log scale: exp(sampleSd) - 1. */
  relativeSampleSd: z.number().nullable(),
  /** The smallest true difference `compare` can call between two entries at the minimum of jobs and samples (relative on the log scale). */
  minimumDetectable: z.number().nullable(),
  /** The smallest that puts two such entries in different tiers. */
  tierSeparation: z.number().nullable(),
});
export const Leaderboard = z.object({
  split: z.string(),
  hardware: z.string().nullable(),
  metric: z.object({ name: z.string(), unit: z.string(), direction: z.enum(['maximize', 'minimize']) }),
  confidence: z.number(),
  ranking: z.object({ scale: z.enum(['log', 'linear']), minJobs: z.number().int(), minSamples: z.number().int(), rule: z.string() }),
  hardwareClasses: z.array(z.string()),
  noiseFloor: z.array(NoiseFloor),
  items: z.array(LeaderboardEntry),
});

export const CompareQuery = z.object({
  a: z.coerce.number().int().positive(),
  b: z.coerce.number().int().positive(),
  split: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/).default('public'),
  hardware: z.string().max(140).optional(),
});
const CompareSide = z.object({
  submissionId: z.number().int(),
  /** The original submission of its fingerprint, whose pool is compared. */
  pooledAs: z.number().int(),
  /** Null on a private split for non-organizers: no counts (decision 0087). */
  jobs: z.number().int().nullable(),
  n: z.number().int().nullable(),
  /** On a private split for non-organizers: to 3 significant digits, with no interval. */
  center: z.number(),
  ciLow: z.number().nullable(),
  ciHigh: z.number().nullable(),
  guardrailsPassed: z.boolean(),
});
export const Comparison = z.object({
  split: z.string(),
  hardwareClass: z.string(),
  metric: z.object({ name: z.string(), unit: z.string(), direction: z.enum(['maximize', 'minimize']) }),
  confidence: z.number(),
  /** better / worse: A is, beyond the interval; tie: the interval holds "no difference"; insufficient: a side has fewer than two samples. */
  verdict: z.enum(['better', 'worse', 'tie', 'insufficient']),
  /** metric: the pooled samples; baseline_ratio: each side's ratio to the baseline interleaved in its own jobs. */
  basis: z.enum(['metric', 'baseline_ratio']),
  scale: z.enum(['log', 'linear']),
  /** A / B on the log scale (A - B on the linear one), with its interval (on a private split for non-organizers: 3 significant digits, no interval, no p). */
  ratio: Interval,
  p: z.number().nullable(),
  a: CompareSide,
  b: CompareSide,
});

export const SubmissionPool = z.object({
  split: z.string(),
  hardwareClass: z.string(),
  jobs: z.number().int(),
  n: z.number().int(),
  mean: z.number(),
  stdev: z.number().nullable(),
  ciLow: z.number().nullable(),
  ciHigh: z.number().nullable(),
  guardrailsPassed: z.boolean(),
});
