import { randomBytes } from 'node:crypto';
import {
  AgoraError,
  claimOrder,
  hardwareClass,
  isTerminal,
  MAX_LOG_BYTES_PER_CALL,
  MAX_LOG_BYTES_PER_JOB,
  outcomeTransition,
  runnerRoutes as r,
  runnerTextForEveryone,
  scoreSummaryForEveryone,
  runningLoad,
  type ChallengeSpec,
  type Transition,
} from '@agora/core';
import { appendEvent, type Queryable } from '@agora/store';
import {
  appendLogLines,
  claimableJobs,
  collaborationChallenge,
  extendLease,
  findJob,
  insertResult,
  lockJob,
  lockQueuedForClaim,
  markLogTruncated,
  runningJobs,
  startAttempt,
  wakeLogReaders,
  type JobRow,
} from '@agora/store/jobs';
import {
  collaborationRoles,
  insertRunner,
  jobsToKeep,
  listRunners,
  recordRunnerHeartbeat,
  revokeRunner,
  submissionArtifactList,
  submissionBundleSha,
  submissionRefersToArtifact,
  touchRunner,
} from '@agora/store/runners';
import type { Hono } from 'hono';
import { hashSecret, newRunnerSecret, runnerToken, type RunnerActor } from '../auth.ts';
import { iso, isoReq } from '../collab.ts';
import { hashLease, jobEvent, LEASE_SECONDS, OFFLINE_MARGIN_SECONDS, OFFLINE_MAX_SECONDS, platformLog, transition } from '../operations/job-lifecycle.ts';
import { mount, type AppEnv } from '../mount.ts';
import type { Services } from '../services.ts';

/**
 * A lease is held by whoever holds its token, as long as the job is still running under it. The
 * lease is lost when the sweeper re-queues the job (or another runner claims it): from then on
 * every call with the old token gets lease_lost, and once the job has its outcome, result_exists.
 */
function checkLease(job: JobRow | undefined, id: number, token: string, forResult = false): JobRow {
  if (!job) throw new AgoraError('not_found', `job ${id} not found`);
  if (job.state === 'running' && job.lease_token_hash === hashLease(token)) return job;
  if (forResult && isTerminal(job.state))
    throw new AgoraError('result_exists', `job ${id} already has its outcome (${job.state}); this report changes nothing`, { jobId: id, state: job.state });
  throw new AgoraError('lease_lost', `the lease on job ${id} is gone (the job is ${job.state}${job.state === 'running' ? ' under another lease' : ''}): stop working on it`, {
    jobId: id, state: job.state,
  });
}

const effectiveLabels = (runner: RunnerActor, asked: string[]) => asked.filter((l) => runner.labels.includes(l));

async function streamBlob(services: Services, sha256: string, type: string): Promise<Response> {
  const blob = await services.artifacts.stat(sha256);
  if (!blob) throw new AgoraError('not_found', `blob ${sha256} is missing from the artifact store`);
  const body = await services.artifacts.get(sha256);
  return new Response(body, { status: 200, headers: { 'content-type': type, 'content-length': String(blob.size), 'x-agora-sha256': sha256 } });
}

export function mountRunner(app: Hono<AppEnv>) {
  mount(app, r.createRunner, async ({ actor, body, services: { db } }) => {
    let collabIds: number[] | null = null;
    if (body.collaborations === null) {
      if (!actor.isAdmin) throw new AgoraError('forbidden', 'only server admins create runners for every collaboration; organizers name their collaborations');
    } else {
      if (!body.collaborations.length) throw new AgoraError('validation_failed', 'name at least one collaboration, or null for all (admins)');
      const rows = await collaborationRoles(db, body.collaborations, actor.participantId);
      for (const slug of body.collaborations) {
        const row = rows.find((x) => x.slug === slug);
        if (!row) throw new AgoraError('not_found', `collaboration "${slug.slice(0, 63)}" not found`);
        if (!actor.isAdmin && row.role !== 'organizer') throw new AgoraError('forbidden', `only organizers of "${slug}" (or server admins) may add runners to it`);
      }
      collabIds = [...new Set(rows.map((x) => x.id))];
    }
    const secret = newRunnerSecret();
    return db.transaction(async (tx) => {
      const runnerId = await insertRunner(tx, { name: body.name, tokenHash: hashSecret(secret), labels: [...new Set(body.labels)], collaborationIds: collabIds, createdBy: actor.participantId });
      for (const collaborationId of collabIds ?? [null])
        await appendEvent(tx, { collaborationId, actorId: actor.participantId, type: 'runner.created', subject: `runner:${runnerId}`, payload: { runnerId, name: body.name, labels: body.labels } });
      return { runnerId, token: runnerToken(runnerId, secret) };
    });
  });

  mount(app, r.listRunners, async ({ actor, services: { db } }) => {
    if (!actor.isAdmin) throw new AgoraError('forbidden', 'runners are listed by server admins');
    const rows = await listRunners(db);
    return {
      items: rows.map((x) => ({
        id: x.id, name: x.name, labels: x.labels, collaborations: x.slugs, environment: x.environment,
        createdAt: isoReq(x.created_at), lastSeenAt: iso(x.last_seen_at), revokedAt: iso(x.revoked_at),
      })),
    };
  });

  mount(app, r.revokeRunner, async ({ actor, params, services: { db } }) => {
    if (!actor.isAdmin) throw new AgoraError('forbidden', 'runners are revoked by server admins');
    await db.transaction(async (tx) => {
      if (!(await revokeRunner(tx, params.id))) throw new AgoraError('not_found', `runner ${params.id} not found`);
      await appendEvent(tx, { collaborationId: null, actorId: actor.participantId, type: 'runner.revoked', subject: `runner:${params.id}`, payload: { runnerId: params.id } });
    });
    return { ok: true as const };
  });

  mount(app, r.runnerHeartbeat, async ({ runner, body, services: { db } }) => {
    await recordRunnerHeartbeat(db, runner.runnerId, { ...body.environment, runnerId: runner.runnerId });
    // Abort what it should no longer run: cancelled, finished, or re-queued away from it.
    const kept = await jobsToKeep(db, runner.runnerId, body.activeJobs);
    return { ok: true as const, cancel: [...new Set(body.activeJobs)].filter((id) => !kept.has(id)) };
  });

  mount(app, r.claimJob, async ({ runner, body, services: { db } }) => {
    const labels = effectiveLabels(runner, body.labels);
    await touchRunner(db, runner.runnerId);
    const claimed = await db.transaction(async (tx) => {
      const queued = await claimableJobs(tx, labels, runner.collaborationIds);
      if (!queued.length) return null;
      const order = claimOrder(queued, runningLoad(await runningJobs(tx)));
      for (const candidate of order) {
        // Another runner may be claiming the same job: skip it rather than wait.
        const job = await lockQueuedForClaim(tx, candidate.id);
        if (!job) continue;
        // A smoke run has the challenge's smoke wall limit, one repeat (decision 0180).
        const limits = job.smoke ? { ...job.challenge.limits, wall_seconds: job.challenge.smoke?.wall_seconds ?? 120 } : job.challenge.limits;
        const leaseSeconds = body.offline ? Math.min(OFFLINE_MAX_SECONDS, limits.wall_seconds * job.repeats + OFFLINE_MARGIN_SECONDS) : LEASE_SECONDS;
        const leaseToken = randomBytes(32).toString('base64url');
        const updated = await startAttempt(tx, { jobId: job.id, runnerId: runner.runnerId, runnerName: runner.name, leaseTokenHash: hashLease(leaseToken), leaseSeconds, offline: body.offline });
        await platformLog(tx, updated, `[agora] attempt ${updated.attempt} of ${updated.max_attempts} started on runner ${runner.name}${body.offline ? ' (offline lease)' : ''}`);
        await wakeLogReaders(tx);
        await jobEvent(tx, updated, 'job.started', null, { state: 'running', runnerId: runner.runnerId, runnerName: runner.name, offline: body.offline });
        const bundleSha256 = await submissionBundleSha(tx, job.submission_id);
        const artifacts = await submissionArtifactList(tx, job.submission_id);
        const { rules_text: _rules, ...challenge } = job.challenge as ChallengeSpec & { rules_text?: string };
        return {
          jobId: job.id, attempt: updated.attempt, leaseToken, leaseExpiresAt: isoReq(updated.lease_expires_at!), leaseSeconds,
          collaboration: job.slug, challengeId: challenge.id, challenge, split: job.split, submissionId: job.submission_id,
          bundleSha256, bundlePath: `/v1/runner/jobs/${job.id}/bundle`, artifacts,
          limits, repeats: job.repeats, smoke: job.smoke,
        };
      }
      return null;
    });
    return { job: claimed };
  });

  mount(app, r.jobHeartbeat, async ({ runner, params, body, services: { db } }) => {
    const out = await db.transaction(async (tx) => {
      const job = checkLease(await lockJob(tx, params.id), params.id, body.leaseToken);
      // Never shortens a lease (an offline lease stays long).
      const leaseExpiresAt = await extendLease(tx, job.id, LEASE_SECONDS);
      return { leaseExpiresAt: isoReq(leaseExpiresAt), cancelRequested: job.cancel_requested };
    });
    await touchRunner(db, runner.runnerId);
    return out;
  });

  mount(app, r.appendJobLogs, async ({ params, body, services: { db } }) => {
    const bytes = body.lines.reduce((s, l) => s + Buffer.byteLength(l.text), 0);
    if (bytes > MAX_LOG_BYTES_PER_CALL) throw new AgoraError('payload_too_large', `at most ${MAX_LOG_BYTES_PER_CALL} bytes of log text a call; send smaller batches`, { limit: MAX_LOG_BYTES_PER_CALL });
    return db.transaction(async (tx) => {
      const job = checkLease(await lockJob(tx, params.id), params.id, body.leaseToken);
      let room = MAX_LOG_BYTES_PER_JOB - job.log_bytes;
      const take: Array<{ stream: string; text: string }> = [];
      for (const l of body.lines) {
        // PostgreSQL text cannot hold NUL; other bytes are stored as sent and escaped by readers.
        const text = l.text.replaceAll('\u0000', '\uFFFD');
        const n = Buffer.byteLength(text);
        if (n > room) break;
        room -= n;
        take.push({ stream: l.stream, text });
      }
      const truncated = take.length < body.lines.length;
      if (take.length) {
        await appendLogLines(tx, { id: job.id, attempt: job.attempt, logLines: job.log_lines }, take, MAX_LOG_BYTES_PER_JOB - job.log_bytes - room);
      }
      if (truncated && !job.log_truncated) {
        await markLogTruncated(tx, job.id);
        await platformLog(tx, { id: job.id, attempt: job.attempt }, `[agora] log truncated: the job's log reached ${MAX_LOG_BYTES_PER_JOB} bytes; later lines are dropped`);
      }
      await wakeLogReaders(tx);
      return { accepted: take.length, truncated: truncated || job.log_truncated };
    });
  });

  const leasedJob = async (db: Queryable, id: number, token: string) => checkLease(await findJob(db, id), id, token);

  mount(app, r.jobBundle, async ({ params, query, services }) => {
    const job = await leasedJob(services.db, params.id, query.leaseToken);
    return streamBlob(services, await submissionBundleSha(services.db, job.submission_id), 'application/gzip');
  });

  mount(app, r.jobArtifact, async ({ params, query, services }) => {
    const job = await leasedJob(services.db, query.jobId, query.leaseToken);
    if (!(await submissionRefersToArtifact(services.db, job.submission_id, params.sha256))) throw new AgoraError('not_found', `submission ${job.submission_id} does not refer to artifact ${params.sha256}`);
    return streamBlob(services, params.sha256, 'application/octet-stream');
  });

  mount(app, r.submitJobResult, async ({ runner, params, body, services: { db } }) => {
    const out = await db.transaction(async (tx) => {
      const job = checkLease(await lockJob(tx, params.id), params.id, body.leaseToken, true);
      const challenge = await collaborationChallenge(tx, job.collaboration_id);
      const result = body.result;
      const unprocessable = (m: string) => new AgoraError('unprocessable', `${m}; fix the report, or report outcome "errored" with the reason`);
      if (body.outcome === 'succeeded') {
        if (!result) throw unprocessable('outcome succeeded needs the harness result');
        if (result.status !== 'ok') throw unprocessable('outcome succeeded but the harness result says status failed: report outcome failed');
        // A smoke run measures nothing (decision 0180).
        if (!job.smoke && (!result.metric.samples.length || result.metric.samples.some((x) => !Number.isFinite(x)))) throw unprocessable('a succeeded result needs finite metric samples');
      }
      if (result && result.split !== job.split) throw unprocessable(`the result is for split "${result.split}", the job for "${job.split}"`);
      if (result && result.metric.name !== challenge.metric.name) throw unprocessable(`the result measures "${result.metric.name}", the challenge "${challenge.metric.name}"`);
      const guardrailsPassed = result && !job.smoke ? result.guardrails.every((g) => g.passed) : true;
      const t: Transition = outcomeTransition(body.outcome, { attempt: job.attempt, maxAttempts: job.max_attempts, cancelRequested: job.cancel_requested }, guardrailsPassed);
      const environment = { ...body.environment, runnerId: runner.runnerId };
      const cls = hardwareClass(environment);
      const given = body.reason?.trim() || result?.failure?.reason || null;
      // A private job's runner text may quote private data: it goes to the (organizer-only) log, and
      // the reasons everyone sees for retries and cancels point there (failed/timed-out reasons are
      // replaced for non-organizers when read: see core's reasonSeenBy).
      if (given) await platformLog(tx, job, `[runner ${runner.name}] ${body.outcome}: ${given}`, 'runner');
      const quoted = runnerTextForEveryone(job, given);
      const attemptNote = `attempt ${job.attempt} of ${job.max_attempts} on runner ${runner.name}`;
      const smokeSummary = typeof (result?.extra.smoke as { summary?: unknown } | undefined)?.summary === 'string' ? String((result!.extra.smoke as { summary: string }).summary).slice(0, 500) : 'the submission started and answered';
      const reason: Record<Transition, string> = {
        succeed: job.smoke ? `smoke run passed on ${cls}: ${smokeSummary} (nothing measured, never ranked, not charged)` : `scored ${result?.metric.samples.length ?? 0} samples on ${cls}`,
        reject: `scored ${result?.metric.samples.length ?? 0} samples on ${cls}, but failed the guardrail(s) ${result?.guardrails.filter((g) => !g.passed).map((g) => g.name).join(', ')}: not ranked`,
        fail: given ?? `the harness reported a failure without a reason (${attemptNote}); the log may say more`,
        time_out: given ?? `ran past the wall limit of ${challenge.limits.wall_seconds} s per repeat`,
        retry: `${attemptNote} errored (the platform's fault, not yours): ${quoted ?? 'no reason given'}; re-queued for attempt ${job.attempt + 1}`,
        give_up: `errored on all ${job.max_attempts} attempts (last: ${quoted ?? 'no reason given'}); the quota is refunded: an organizer can re-run it once the runner problem is fixed, or you can`,
        cancel_running: `cancelled while running (${job.reason ?? 'on request'})${quoted ? `; the runner said: ${quoted}` : ''}`,
        claim: '', cancel_queued: '',
      };
      // A smoke run never writes a result: nothing a leaderboard, lineage or comparison reads (decision 0180).
      if (result && !job.smoke && (t === 'succeed' || t === 'reject' || t === 'fail' || t === 'time_out')) {
        await insertResult(tx, {
          jobId: job.id, collabId: job.collaboration_id, submissionId: job.submission_id, split: job.split, hardwareClass: cls,
          metric: { name: result.metric.name, unit: result.metric.unit, direction: result.metric.direction }, samples: result.metric.samples,
          guardrails: result.guardrails, guardrailsPassed, perPrompt: result.samples, extra: result.extra,
          harness: result.harness, environment: { ...result.environment, ...environment },
        });
      }
      const summary = result && !job.smoke && (t === 'succeed' || t === 'reject')
        ? { ...scoreSummaryForEveryone(job, result.metric.samples), guardrailsPassed, hardwareClass: cls }
        : {};
      const state = await transition(tx, job, t, { reason: reason[t], actorId: null, outcome: body.outcome, payload: { runnerId: runner.runnerId, ...summary } });
      return { jobId: job.id, state, requeued: t === 'retry' };
    });
    await touchRunner(db, runner.runnerId);
    return out;
  });
}
