import { z } from 'zod';
import {
  AppendLogsBody,
  AppendLogsResponse,
  ClaimBody,
  ClaimResponse,
  CreateRunnerBody,
  IssuedRunner,
  JobHeartbeatBody,
  JobHeartbeatResponse,
  ResultBody,
  ResultResponse,
  RunnerHeartbeatBody,
  RunnerHeartbeatResponse,
  RunnerInfo,
} from '../schemas/jobs.ts';
import { IdParam, Ok, route } from './route.ts';

const JobParams = z.object({ id: IdParam });

/**
 * The runner protocol. Runners are not participants: the `/v1/runner/...` routes take a runner
 * token (`Authorization: Bearer agora_runner_<id>_<secret>`), issued by `createRunner`.
 * Errors a runner must handle: 409 `lease_lost` (the lease expired and the job went back to the
 * queue or to another runner: stop working on it), 409 `result_exists` (a result was already
 * written: drop yours), 401 (token revoked).
 */
export const runnerRoutes = {
  createRunner: route({
    method: 'post', path: '/v1/runners', tag: 'runners', auth: 'required', status: 201,
    summary: 'Register a runner (server admins; organizers for their own collaborations only). The token is shown once.',
    body: CreateRunnerBody,
    response: IssuedRunner,
  }),
  listRunners: route({
    method: 'get', path: '/v1/runners', tag: 'runners', auth: 'required',
    summary: 'Runners, their labels, last heartbeat and environment (server admins).',
    response: z.object({ items: z.array(RunnerInfo) }),
  }),
  revokeRunner: route({
    method: 'delete', path: '/v1/runners/{id}', tag: 'runners', auth: 'required',
    summary: 'Revoke a runner (server admins): its token stops working and its leases are left to expire and be re-queued.',
    params: JobParams,
    response: Ok,
  }),
  runnerHeartbeat: route({
    method: 'post', path: '/v1/runner/heartbeat', tag: 'runner', auth: 'runner',
    summary: 'Runner liveness, labels and environment fingerprint; answers the active jobs to abort (cancelled or lease lost).',
    body: RunnerHeartbeatBody,
    response: RunnerHeartbeatResponse,
  }),
  claimJob: route({
    method: 'post', path: '/v1/runner/claim', tag: 'runner', auth: 'runner',
    summary: 'Claim the next job whose hardware labels the runner satisfies, fair across participants and collaborations; {job: null} when there is none.',
    body: ClaimBody,
    response: ClaimResponse,
  }),
  jobHeartbeat: route({
    method: 'post', path: '/v1/runner/jobs/{id}/heartbeat', tag: 'runner', auth: 'runner',
    summary: 'Extend the lease of a running job; says whether its cancellation was requested. 409 lease_lost when the lease is gone.',
    params: JobParams,
    body: JobHeartbeatBody,
    response: JobHeartbeatResponse,
  }),
  appendJobLogs: route({
    method: 'post', path: '/v1/runner/jobs/{id}/logs', tag: 'runner', auth: 'runner',
    summary: 'Append log lines (at most 500 lines and 64 KB a call; the total per job is capped, then a truncation marker).',
    params: JobParams,
    body: AppendLogsBody,
    response: AppendLogsResponse,
  }),
  jobBundle: route({
    method: 'get', path: '/v1/runner/jobs/{id}/bundle', tag: 'runner', auth: 'runner',
    summary: 'The submission bundle (application/gzip) of a job the runner holds the lease of.',
    params: JobParams,
    query: z.object({ leaseToken: z.string().min(16).max(128) }),
    rawResponse: 'application/gzip',
    response: z.unknown(),
  }),
  jobArtifact: route({
    method: 'get', path: '/v1/runner/artifacts/{sha256}', tag: 'runner', auth: 'runner',
    summary: 'A large artifact the leased job\'s submission refers to (application/octet-stream).',
    params: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/) }),
    query: z.object({ jobId: IdParam, leaseToken: z.string().min(16).max(128) }),
    rawResponse: 'application/octet-stream',
    response: z.unknown(),
  }),
  submitJobResult: route({
    method: 'post', path: '/v1/runner/jobs/{id}/result', tag: 'runner', auth: 'runner',
    summary: 'Report the outcome, written exactly once: a second report (or a stale lease) gets 409 result_exists or lease_lost and changes nothing.',
    params: JobParams,
    body: ResultBody,
    response: ResultResponse,
  }),
};
