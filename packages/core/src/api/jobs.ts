import { z } from 'zod';
import { Slug } from '../schemas/challenge.ts';
import { Handle } from '../schemas/identity.ts';
import { CompareQuery, Comparison, CreateJobBody, Grant, GrantBody, Job, JobState, JobSummary, Leaderboard, LogLine, Quota, SubmissionPool } from '../schemas/jobs.ts';
import { Cursor, IdParam, Limit, Page, route } from './route.ts';

const CollabParams = z.object({ collab: Slug });
const JobParams = z.object({ collab: Slug, id: IdParam });

export const jobRoutes = {
  createJob: route({
    method: 'post', path: '/v1/collaborations/{collab}/jobs', tag: 'jobs', auth: 'required', status: 201,
    summary: 'Queue a job scoring a submission on a split, charged to the caller\'s quota (the author runs their own; anyone may run a staged one and is credited as sponsor). Private splits: organizers only, uncharged. 429 quota_exceeded says how many are used and when the next frees up.',
    params: CollabParams,
    body: CreateJobBody,
    response: Job,
  }),
  smokeRun: route({
    method: 'post', path: '/v1/collaborations/{collab}/submissions/{id}/smoke', tag: 'jobs', auth: 'required', status: 201,
    summary: 'A free smoke run: the submission is started as a job would start it and sent one untimed request on public data. Never charged, never ranked, no result: the job\'s state and reason say whether the server started and answered. A few a day per participant (the challenge\'s smoke.runs_per_day; 429 rate_limited says when the next is allowed).',
    params: z.object({ collab: Slug, id: IdParam }),
    response: Job,
  }),
  listJobs: route({
    method: 'get', path: '/v1/collaborations/{collab}/jobs', tag: 'jobs', auth: 'optional',
    summary: 'Jobs, newest first, with state, reason, queue position and wait estimate.',
    params: CollabParams,
    query: z.object({
      state: z.string().max(100).optional().describe('comma-separated states'),
      submissionId: IdParam.optional(),
      split: Slug.optional(),
      participant: Handle.optional().describe('jobs this participant originated, sponsored or requested'),
      overdue: z.enum(['true', 'false']).optional(),
      cursor: Cursor,
      limit: Limit(200, 50),
    }),
    response: Page(JobSummary),
  }),
  getJob: route({
    method: 'get', path: '/v1/collaborations/{collab}/jobs/{id}', tag: 'jobs', auth: 'optional',
    summary: 'One job: state and reason, queue position and wait estimate, attempts, result and environment, originator and sponsor.',
    params: JobParams,
    response: Job,
  }),
  cancelJob: route({
    method: 'post', path: '/v1/collaborations/{collab}/jobs/{id}/cancel', tag: 'jobs', auth: 'required',
    summary: 'Cancel a job (its requester, originator or sponsor, or an organizer): a queued job is cancelled and refunded at once; a running one is asked to stop through its runner\'s heartbeat.',
    params: JobParams,
    body: z.object({ reason: z.string().trim().max(500).optional() }),
    response: Job,
  }),
  rerunJob: route({
    method: 'post', path: '/v1/collaborations/{collab}/jobs/{id}/rerun', tag: 'jobs', auth: 'required', status: 201,
    summary: 'Re-run a finished job as a new job: organizers any job, uncharged; its originator or requester a failed, errored, timed-out or cancelled one, charged to them.',
    params: JobParams,
    response: Job,
  }),
  jobLogs: route({
    method: 'get', path: '/v1/collaborations/{collab}/jobs/{id}/logs', tag: 'jobs', auth: 'optional',
    summary: 'Log lines after a line number (?after=); private-split logs are for organizers only. Live: GET .../jobs/{id}/logs/stream (server-sent events, resumes from Last-Event-ID).',
    params: JobParams,
    query: z.object({ after: z.coerce.number().int().min(0).max(2_147_483_647).default(0), limit: Limit(5000, 1000) }),
    response: z.object({ items: z.array(LogLine), nextAfter: z.number().int(), truncated: z.boolean(), state: JobState, done: z.boolean() }),
  }),
  myQuota: route({
    method: 'get', path: '/v1/collaborations/{collab}/quota/me', tag: 'jobs', auth: 'required',
    summary: 'My job quota: limit (challenge default plus grants), used in the last 24 hours, remaining, and when the next one frees up.',
    params: CollabParams,
    response: Quota,
  }),
  grantQuota: route({
    method: 'post', path: '/v1/collaborations/{collab}/quota/grants', tag: 'jobs', auth: 'required', status: 201,
    summary: 'Organizers: give a participant extra jobs per rolling 24 hours for a while (default 24 h).',
    params: CollabParams,
    body: GrantBody,
    response: Grant,
  }),
  leaderboard: route({
    method: 'get', path: '/v1/collaborations/{collab}/leaderboard', tag: 'jobs', auth: 'optional',
    summary: 'Per fingerprint and hardware class (a duplicate pools into its original): all samples of all succeeded jobs, with an interval on the challenge\'s scale (log for a speed), never the best run; rank = 1 + entries whose interval lies wholly above, tiers of the distinct ranks, only entries with the challenge\'s minimum of jobs and samples ranked; guardrail failures shown unranked; invalidated submissions left out; the noise floor and minimum detectable difference per hardware class.',
    params: CollabParams,
    query: z.object({ split: Slug.default('public'), hardware: z.string().max(140).optional() }),
    response: Leaderboard,
  }),
  compare: route({
    method: 'get', path: '/v1/collaborations/{collab}/compare', tag: 'jobs', auth: 'optional',
    summary: 'Is submission A better than, worse than, or tied with B on one split and hardware class? Each side is its fingerprint\'s pool; the answer carries the interval of the ratio A/B (of each one\'s ratio to the interleaved baseline when both have one).',
    params: CollabParams,
    query: CompareQuery,
    response: Comparison,
  }),
  submissionResults: route({
    method: 'get', path: '/v1/collaborations/{collab}/submissions/{id}/results', tag: 'jobs', auth: 'optional',
    summary: 'A submission\'s pooled scores per split and hardware class, and its jobs with their results, newest first.',
    params: JobParams,
    query: z.object({ cursor: Cursor, limit: Limit(100, 20) }),
    response: z.object({ submissionId: z.number().int(), pools: z.array(SubmissionPool), items: z.array(Job), nextCursor: z.string().nullable() }),
  }),
};
