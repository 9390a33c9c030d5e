import { cursorCodec, fairOrder, attemptReasonSeenBy, jobTimingSeenBy, reasonSeenBy, resultSeenBy, runningLoad, waitEstimateSeconds, type Audience } from '@agora/core';
import type { Queryable } from '@agora/store';
import { attemptsOfJobs, collaborationChallenge, queuedJobsWithChallenge, recentRunSeconds, resultsOfJobs, runningJobs, type JobViewRow, type ResultRow } from '@agora/store/jobs';
import { onlineRunners } from '@agora/store/runners';
import { iso, isoReq } from '../collab.ts';
import { RUNNER_ONLINE_SECONDS } from '../operations/job-lifecycle.ts';

/** Jobs as the API shows them to a viewer: queue position and wait estimate, attempts, result, redacted by core's visibility rules. */

// ---------------------------------------------------------------- queue view

interface QueueCtx {
  position: Map<number, number>;
  estimate: Map<number, number | null>;
}

/** Queue positions (fair order, among jobs with the same hardware) and wait estimates for queued jobs. */
export async function queueContext(db: Queryable, jobIds: number[]): Promise<QueueCtx> {
  const out: QueueCtx = { position: new Map(), estimate: new Map() };
  if (!jobIds.length) return out;
  const queued = await queuedJobsWithChallenge(db);
  const running = await runningJobs(db);
  const runners = await onlineRunners(db, RUNNER_ONLINE_SECONDS);
  const mean = await recentRunSeconds(db);
  const order = fairOrder(queued, runningLoad(running));
  const hw = (h: string[]) => [...h].sort().join(',');
  const wanted = new Set(jobIds);
  const seenPerClass = new Map<string, number>();
  for (const j of order) {
    const cls = hw(j.hardware);
    const position = (seenPerClass.get(cls) ?? 0) + 1;
    seenPerClass.set(cls, position);
    if (!wanted.has(j.id)) continue;
    out.position.set(j.id, position);
    const able = runners.filter((r) => j.hardware.every((l) => r.labels.includes(l)) && (!r.collaboration_ids || r.collaboration_ids.includes(j.collaborationId)));
    const limits = j.challenge.limits ?? { wall_seconds: 600 };
    out.estimate.set(j.id, waitEstimateSeconds({
      position,
      running: running.filter((r) => hw(r.hardware) === cls).length,
      runners: able.length,
      recentMeanSeconds: mean.get(j.collaborationId) ?? null,
      fallbackSeconds: limits.wall_seconds * j.repeats,
    }));
  }
  return out;
}

// ---------------------------------------------------------------- API shapes

/** Shapes jobs for a viewer; private-split details (runner reasons, per-prompt samples, extras, logs) only for organizers (core's visibility rules). */
export async function jobsOut(db: Queryable, rows: JobViewRow[], audience: Audience, opts: { details: boolean }) {
  const ids = rows.map((r) => r.id);
  const queue = await queueContext(db, rows.filter((r) => r.state === 'queued').map((r) => r.id));
  const attempts = opts.details ? await attemptsOfJobs(db, ids) : [];
  const results = opts.details ? await resultsOfJobs(db, ids) : [];
  // Private jobs' timing is coarsened for participants (decision 0087): the release period of each job's challenge.
  const release = new Map<number, number>();
  if (audience !== 'organizer')
    for (const c of new Set(rows.filter((j) => j.visibility === 'private').map((j) => j.collaboration_id)))
      release.set(c, (await collaborationChallenge(db, c)).verification?.release_minutes ?? 60);
  const now = new Date();
  return rows.map((j) => {
    const r = results.find((x) => x.job_id === j.id);
    return jobTimingSeenBy(audience, {
      id: j.id,
      collaboration: j.slug,
      submissionId: j.submission_id,
      split: j.split,
      visibility: j.visibility,
      repeats: j.repeats,
      hardware: j.hardware,
      state: j.state,
      reason: reasonSeenBy(audience, j, j.state, j.reason),
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
      smoke: j.smoke,
      queuePosition: queue.position.get(j.id) ?? null,
      waitEstimateSeconds: queue.estimate.get(j.id) ?? null,
      leaseExpiresAt: iso(j.lease_expires_at),
      createdAt: isoReq(j.created_at),
      startedAt: iso(j.started_at),
      finishedAt: iso(j.finished_at),
      attempts: attempts.filter((a) => a.job_id === j.id).map((a) => ({
        attempt: a.attempt, runnerId: a.runner_id, runnerName: a.runner_name, startedAt: isoReq(a.started_at), endedAt: iso(a.ended_at),
        outcome: a.outcome, reason: attemptReasonSeenBy(audience, j, a.outcome, a.reason),
      })),
      result: r ? resultSeenBy(audience, j, resultOut(r)) : null,
    }, now, release.get(j.collaboration_id) ?? 0);
  });
}

function resultOut(r: ResultRow) {
  return {
    metric: { ...r.metric, samples: r.samples },
    guardrails: r.guardrails,
    guardrailsPassed: r.guardrails_passed,
    samples: r.per_prompt,
    extra: r.extra,
    harness: r.harness,
    hardwareClass: r.hardware_class,
    environment: r.environment,
    createdAt: isoReq(r.created_at),
  };
}

/** Pages of jobs, newest first: the last id shown. */
export const jobsCursor = cursorCodec('jobs', ['int']);
export const submissionJobsCursor = cursorCodec('submission-jobs', ['int']);
