import { randomBytes } from 'node:crypto';
import {
  AgoraError,
  fairOrder,
  hardwareClass,
  isTerminal,
  MAX_LOG_BYTES_PER_CALL,
  MAX_LOG_BYTES_PER_JOB,
  outcomeTransition,
  runnerRoutes as r,
  type ChallengeSpec,
  type Transition,
} from '@agora/core';
import { appendEvent, type Queryable } from '@agora/store';
import type { Hono } from 'hono';
import { hashSecret, newRunnerSecret, runnerToken, type RunnerActor } from '../auth.ts';
import { iso, isoReq } from '../collab.ts';
import {
  hashLease,
  jobEvent,
  LEASE_SECONDS,
  lockJob,
  OFFLINE_MARGIN_SECONDS,
  OFFLINE_MAX_SECONDS,
  platformLog,
  transition,
  wakeLogReaders,
  type JobRow,
} from '../job-ops.ts';
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
const touch = (db: Queryable, runnerId: number) => db.query('update runners set last_seen_at = now() where id = $1', [runnerId]);

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
      const rows = await db.query<{ id: number; slug: string; role: string | null }>(
        `select c.id, c.slug, m.role from collaborations c left join memberships m on m.collaboration_id = c.id and m.participant_id = $2
         where c.slug = any($1::text[])`, [body.collaborations, actor.participantId]);
      for (const slug of body.collaborations) {
        const row = rows.find((x) => x.slug === slug);
        if (!row) throw new AgoraError('not_found', `collaboration "${slug.slice(0, 63)}" not found`);
        if (!actor.isAdmin && row.role !== 'organizer') throw new AgoraError('forbidden', `only organizers of "${slug}" (or server admins) may add runners to it`);
      }
      collabIds = [...new Set(rows.map((x) => x.id))];
    }
    const secret = newRunnerSecret();
    return db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: number }>(
        'insert into runners (name, token_hash, labels, collaboration_ids, created_by) values ($1, $2, $3, $4, $5) returning id',
        [body.name, hashSecret(secret), [...new Set(body.labels)], collabIds, actor.participantId]);
      for (const collaborationId of collabIds ?? [null])
        await appendEvent(tx, { collaborationId, actorId: actor.participantId, type: 'runner.created', subject: `runner:${row!.id}`, payload: { runnerId: row!.id, name: body.name, labels: body.labels } });
      return { runnerId: row!.id, token: runnerToken(row!.id, secret) };
    });
  });

  mount(app, r.listRunners, async ({ actor, services: { db } }) => {
    if (!actor.isAdmin) throw new AgoraError('forbidden', 'runners are listed by server admins');
    const rows = await db.query<{ id: number; name: string; labels: string[]; slugs: string[] | null; environment: Record<string, unknown> | null; created_at: Date; last_seen_at: Date | null; revoked_at: Date | null }>(
      `select r.*, case when r.collaboration_ids is null then null else
         (select coalesce(array_agg(c.slug order by c.slug), '{}') from collaborations c where c.id = any(r.collaboration_ids)) end as slugs
       from runners r order by r.id`);
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
      const [row] = await tx.query<{ id: number }>('update runners set revoked_at = coalesce(revoked_at, now()) where id = $1 returning id', [params.id]);
      if (!row) throw new AgoraError('not_found', `runner ${params.id} not found`);
      await appendEvent(tx, { collaborationId: null, actorId: actor.participantId, type: 'runner.revoked', subject: `runner:${params.id}`, payload: { runnerId: params.id } });
    });
    return { ok: true as const };
  });

  mount(app, r.runnerHeartbeat, async ({ runner, body, services: { db } }) => {
    await db.query('update runners set last_seen_at = now(), environment = $2 where id = $1', [runner.runnerId, JSON.stringify({ ...body.environment, runnerId: runner.runnerId })]);
    // Abort what it should no longer run: cancelled, finished, or re-queued away from it.
    const keep = await db.query<{ id: number }>(
      `select id from jobs where id = any($1::int[]) and state = 'running' and runner_id = $2 and not cancel_requested`, [body.activeJobs, runner.runnerId]);
    const kept = new Set(keep.map((x) => x.id));
    return { ok: true as const, cancel: [...new Set(body.activeJobs)].filter((id) => !kept.has(id)) };
  });

  mount(app, r.claimJob, async ({ runner, body, services: { db } }) => {
    const labels = effectiveLabels(runner, body.labels);
    await touch(db, runner.runnerId);
    const claimed = await db.transaction(async (tx) => {
      const queued = await tx.query<{ id: number; collaboration_id: number; requested_by: number; queued_at: Date }>(
        `select id, collaboration_id, requested_by, queued_at from jobs
         where state = 'queued' and hardware <@ $1::text[] and ($2::int[] is null or collaboration_id = any($2::int[]))
         order by queued_at, id limit 2000`, [labels, runner.collaborationIds]);
      if (!queued.length) return null;
      const running = await tx.query<{ requested_by: number; collaboration_id: number }>(`select requested_by, collaboration_id from jobs where state = 'running'`);
      const byOwner = new Map<number, number>();
      const byCollaboration = new Map<number, number>();
      for (const x of running) {
        byOwner.set(x.requested_by, (byOwner.get(x.requested_by) ?? 0) + 1);
        byCollaboration.set(x.collaboration_id, (byCollaboration.get(x.collaboration_id) ?? 0) + 1);
      }
      const order = fairOrder(queued.map((q) => ({ id: q.id, collaborationId: q.collaboration_id, ownerId: q.requested_by, queuedAt: q.queued_at })), { byOwner, byCollaboration });
      for (const candidate of order) {
        // Another runner may be claiming the same job: skip it rather than wait.
        const [job] = await tx.query<JobRow & { challenge: ChallengeSpec; slug: string }>(
          `select j.*, c.challenge, c.slug from jobs j join collaborations c on c.id = j.collaboration_id
           where j.id = $1 and j.state = 'queued' for update of j skip locked`, [candidate.id]);
        if (!job) continue;
        const limits = job.challenge.limits;
        const leaseSeconds = body.offline ? Math.min(OFFLINE_MAX_SECONDS, limits.wall_seconds * job.repeats + OFFLINE_MARGIN_SECONDS) : LEASE_SECONDS;
        const leaseToken = randomBytes(32).toString('base64url');
        const [updated] = await tx.query<JobRow>(
          `update jobs set state = 'running', attempt = attempt + 1, runner_id = $2, lease_token_hash = $3,
             lease_expires_at = now() + make_interval(secs => $4), started_at = now(), offline = $5, overdue_at = null,
             reason = 'running on runner ' || $6 || ' (attempt ' || (attempt + 1) || ' of ' || max_attempts || ')'
           where id = $1 returning *`,
          [job.id, runner.runnerId, hashLease(leaseToken), leaseSeconds, body.offline, runner.name]);
        await tx.query('insert into job_attempts (job_id, attempt, runner_id) values ($1, $2, $3)', [job.id, updated!.attempt, runner.runnerId]);
        await platformLog(tx, updated!, `[agora] attempt ${updated!.attempt} of ${updated!.max_attempts} started on runner ${runner.name}${body.offline ? ' (offline lease)' : ''}`);
        await wakeLogReaders(tx);
        await jobEvent(tx, updated!, 'job.started', null, { state: 'running', runnerId: runner.runnerId, runnerName: runner.name, offline: body.offline });
        const [sub] = await tx.query<{ bundle_sha256: string }>('select bundle_sha256 from submissions where id = $1', [job.submission_id]);
        const artifacts = await tx.query<{ sha256: string; path: string }>(
          'select sha256, path from submission_artifacts where submission_id = $1 order by path', [job.submission_id]);
        const { rules_text: _rules, ...challenge } = job.challenge as ChallengeSpec & { rules_text?: string };
        return {
          jobId: job.id, attempt: updated!.attempt, leaseToken, leaseExpiresAt: isoReq(updated!.lease_expires_at!), leaseSeconds,
          collaboration: job.slug, challengeId: challenge.id, challenge, split: job.split, submissionId: job.submission_id,
          bundleSha256: sub!.bundle_sha256, bundlePath: `/v1/runner/jobs/${job.id}/bundle`, artifacts,
          limits, repeats: job.repeats,
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
      const [row] = await tx.query<{ lease_expires_at: Date }>(
        `update jobs set lease_expires_at = greatest(lease_expires_at, now() + make_interval(secs => $2)) where id = $1 returning lease_expires_at`,
        [job.id, LEASE_SECONDS]);
      return { leaseExpiresAt: isoReq(row!.lease_expires_at), cancelRequested: job.cancel_requested };
    });
    await touch(db, runner.runnerId);
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
        await tx.query(
          `insert into job_logs (job_id, seq, attempt, stream, text)
           select $1, $2 + o, $3, s, t from unnest($4::text[], $5::text[]) with ordinality as u(s, t, o)`,
          [job.id, job.log_lines, job.attempt, take.map((l) => l.stream), take.map((l) => l.text)]);
        await tx.query('update jobs set log_lines = log_lines + $2, log_bytes = log_bytes + $3 where id = $1', [job.id, take.length, MAX_LOG_BYTES_PER_JOB - job.log_bytes - room]);
      }
      if (truncated && !job.log_truncated) {
        await tx.query('update jobs set log_truncated = true where id = $1', [job.id]);
        await platformLog(tx, { id: job.id, attempt: job.attempt }, `[agora] log truncated: the job's log reached ${MAX_LOG_BYTES_PER_JOB} bytes; later lines are dropped`);
      }
      await wakeLogReaders(tx);
      return { accepted: take.length, truncated: truncated || job.log_truncated };
    });
  });

  const leasedJob = async (db: Queryable, id: number, token: string) => checkLease((await db.query<JobRow>('select * from jobs where id = $1', [id]))[0], id, token);

  mount(app, r.jobBundle, async ({ params, query, services }) => {
    const job = await leasedJob(services.db, params.id, query.leaseToken);
    const [sub] = await services.db.query<{ bundle_sha256: string }>('select bundle_sha256 from submissions where id = $1', [job.submission_id]);
    return streamBlob(services, sub!.bundle_sha256, 'application/gzip');
  });

  mount(app, r.jobArtifact, async ({ params, query, services }) => {
    const job = await leasedJob(services.db, query.jobId, query.leaseToken);
    const [ref] = await services.db.query('select 1 from submission_artifacts where submission_id = $1 and sha256 = $2 limit 1', [job.submission_id, params.sha256]);
    if (!ref) throw new AgoraError('not_found', `submission ${job.submission_id} does not refer to artifact ${params.sha256}`);
    return streamBlob(services, params.sha256, 'application/octet-stream');
  });

  mount(app, r.submitJobResult, async ({ runner, params, body, services: { db } }) => {
    const out = await db.transaction(async (tx) => {
      const job = checkLease(await lockJob(tx, params.id), params.id, body.leaseToken, true);
      const [collab] = await tx.query<{ challenge: ChallengeSpec }>('select challenge from collaborations where id = $1', [job.collaboration_id]);
      const challenge = collab!.challenge;
      const result = body.result;
      const unprocessable = (m: string) => new AgoraError('unprocessable', `${m}; fix the report, or report outcome "errored" with the reason`);
      if (body.outcome === 'succeeded') {
        if (!result) throw unprocessable('outcome succeeded needs the harness result');
        if (result.status !== 'ok') throw unprocessable('outcome succeeded but the harness result says status failed: report outcome failed');
        if (!result.metric.samples.length || result.metric.samples.some((x) => !Number.isFinite(x))) throw unprocessable('a succeeded result needs finite metric samples');
      }
      if (result && result.split !== job.split) throw unprocessable(`the result is for split "${result.split}", the job for "${job.split}"`);
      if (result && result.metric.name !== challenge.metric.name) throw unprocessable(`the result measures "${result.metric.name}", the challenge "${challenge.metric.name}"`);
      const t: Transition = outcomeTransition(body.outcome, { attempt: job.attempt, maxAttempts: job.max_attempts, cancelRequested: job.cancel_requested });
      const environment = { ...body.environment, runnerId: runner.runnerId };
      const cls = hardwareClass(environment);
      const given = body.reason?.trim() || result?.failure?.reason || null;
      // A private job's runner text may quote private data: it goes to the (organizer-only) log, and
      // the reasons everyone sees for retries and cancels point there (failed/timed-out reasons are
      // replaced for non-organizers when read: see publicReason).
      if (given) await platformLog(tx, job, `[runner ${runner.name}] ${body.outcome}: ${given}`, 'runner');
      const quoted = job.visibility === 'private' && given ? 'see the log (organizers only: private split)' : given;
      const attemptNote = `attempt ${job.attempt} of ${job.max_attempts} on runner ${runner.name}`;
      const reason: Record<Transition, string> = {
        succeed: `scored ${result?.metric.samples.length ?? 0} samples on ${cls}`,
        fail: given ?? `the harness reported a failure without a reason (${attemptNote}); the log may say more`,
        time_out: given ?? `ran past the wall limit of ${challenge.limits.wall_seconds} s per repeat`,
        retry: `${attemptNote} errored (the platform's fault, not yours): ${quoted ?? 'no reason given'}; re-queued for attempt ${job.attempt + 1}`,
        give_up: `errored on all ${job.max_attempts} attempts (last: ${quoted ?? 'no reason given'}); the quota is refunded: an organizer can re-run it once the runner problem is fixed, or you can`,
        cancel_running: `cancelled while running (${job.reason ?? 'on request'})${quoted ? `; the runner said: ${quoted}` : ''}`,
        claim: '', cancel_queued: '',
      };
      if (result && (t === 'succeed' || t === 'fail' || t === 'time_out')) {
        await tx.query(
          `insert into results (job_id, collaboration_id, submission_id, split, hardware_class, metric, samples, guardrails, guardrails_passed, per_prompt, extra, harness, environment)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
          [job.id, job.collaboration_id, job.submission_id, job.split, cls,
            JSON.stringify({ name: result.metric.name, unit: result.metric.unit, direction: result.metric.direction }), result.metric.samples,
            JSON.stringify(result.guardrails), result.guardrails.every((g) => g.passed), JSON.stringify(result.samples), JSON.stringify(result.extra),
            JSON.stringify(result.harness), JSON.stringify({ ...result.environment, ...environment })]);
      }
      const summary = result && t === 'succeed'
        ? { mean: result.metric.samples.reduce((s, x) => s + x, 0) / result.metric.samples.length, n: result.metric.samples.length, guardrailsPassed: result.guardrails.every((g) => g.passed), hardwareClass: cls }
        : {};
      const state = await transition(tx, job, t, { reason: reason[t], actorId: null, outcome: body.outcome, payload: { runnerId: runner.runnerId, ...summary } });
      return { jobId: job.id, state, requeued: t === 'retry' };
    });
    await touch(db, runner.runnerId);
    return out;
  });
}
