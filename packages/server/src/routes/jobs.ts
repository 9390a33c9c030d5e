import { AgoraError, jobRoutes as r, leaderboardCutoff, median, rankPools, scheduleRefusal, summarize, type ChallengeSpec, type JobState, type Role } from '@agora/core';
import { appendEvent, type Queryable } from '@agora/store';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { access, accessAs, isoReq, type CollabRow } from '../collab.ts';
import {
  chargeJob,
  decodeCursor,
  encodeCursor,
  JOB_VIEW_SQL,
  jobEvent,
  jobsOut,
  lockJob,
  ownerQuotaOf,
  platformLog,
  quotaOf,
  transition,
  type JobRow,
  type JobViewRow,
} from '../job-ops.ts';
import { mount, type AppEnv } from '../mount.ts';

interface SubmissionRow { id: number; author_id: number; staged: boolean; invalidated_at: Date | null; invalidated_reason: string | null; withdrawn_at: Date | null; title: string }

async function submissionIn(db: Queryable, collabId: number, id: number): Promise<SubmissionRow> {
  const [s] = await db.query<SubmissionRow>(
    'select id, author_id, staged, invalidated_at, invalidated_reason, withdrawn_at, title from submissions where id = $1 and collaboration_id = $2', [id, collabId]);
  if (!s) throw new AgoraError('not_found', `submission ${id} not found in this collaboration`, { submissionId: id });
  return s;
}

function splitOf(challenge: ChallengeSpec, split: string): 'public' | 'private' {
  const s = challenge.splits?.[split];
  if (!s) throw new AgoraError('validation_failed', `unknown split "${split}"; this challenge has: ${Object.keys(challenge.splits ?? {}).join(', ')}`, { split });
  return s.visibility;
}

interface NewJob {
  collab: CollabRow;
  submission: SubmissionRow;
  split: string;
  visibility: 'public' | 'private';
  repeats: number;
  requestedBy: { id: number; handle: string };
  /** Whose quota pays; null: uncharged (organizer verification and re-runs). */
  sponsorId: number | null;
  rerunOf: number | null;
}

/** Inserts a queued job, charges its sponsor (atomically, or refuses), logs and announces it: one transaction. */
async function queueJob(tx: Queryable, n: NewJob): Promise<number> {
  const [job] = await tx.query<JobRow>(
    `insert into jobs (collaboration_id, submission_id, split, visibility, repeats, hardware, originator_id, sponsor_id, requested_by, rerun_of)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *`,
    [n.collab.id, n.submission.id, n.split, n.visibility, n.repeats, n.collab.challenge.hardware, n.submission.author_id, n.sponsorId, n.requestedBy.id, n.rerunOf],
  );
  if (n.sponsorId !== null) await chargeJob(tx, n.collab.id, n.sponsorId, job!.id, n.collab.challenge);
  const how = n.sponsorId === null ? 'uncharged' : n.sponsorId === n.submission.author_id ? 'charged to its author' : `sponsored by @${n.requestedBy.handle}`;
  await platformLog(tx, job!, `[agora] queued by @${n.requestedBy.handle} (${how})${n.rerunOf ? `, re-run of job ${n.rerunOf}` : ''}; needs a runner with labels [${n.collab.challenge.hardware.join(', ')}]`);
  await jobEvent(tx, job!, 'job.queued', n.requestedBy.id, { state: 'queued', charged: n.sponsorId !== null, rerunOf: n.rerunOf, repeats: n.repeats });
  return job!.id;
}

async function jobView(db: Queryable, collabId: number, id: number): Promise<JobViewRow> {
  const [row] = await db.query<JobViewRow>(`${JOB_VIEW_SQL} where j.id = $1 and j.collaboration_id = $2`, [id, collabId]);
  if (!row) throw new AgoraError('not_found', `job ${id} not found in this collaboration`, { jobId: id });
  return row;
}

async function jobOut(db: Queryable, collabId: number, id: number, role: Role | null) {
  const [out] = await jobsOut(db, [await jobView(db, collabId, id)], role, { details: true });
  return out!;
}

const FINISHED: JobState[] = ['succeeded', 'failed', 'errored', 'timed_out', 'cancelled'];
const RERUNNABLE_BY_AUTHOR: JobState[] = ['failed', 'errored', 'timed_out', 'cancelled'];

export function mountJobs(app: Hono<AppEnv>) {
  mount(app, r.createJob, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const challenge = a.collab.challenge;
    const visibility = splitOf(challenge, body.split);
    const submission = await submissionIn(db, a.collab.id, body.submissionId);
    if (submission.invalidated_at)
      throw new AgoraError('conflict', `submission ${submission.id} was invalidated: ${submission.invalidated_reason ?? 'by an organizer ruling'}`, { submissionId: submission.id });
    if (submission.withdrawn_at) throw new AgoraError('conflict', `submission ${submission.id} was withdrawn by its author`, { submissionId: submission.id });
    const closed = scheduleRefusal(challenge.schedule, new Date(), a.role, 'no new jobs');
    if (closed) throw closed;
    const organizer = a.role === 'organizer';
    const repeats = body.repeats ?? challenge.repeats ?? 3;
    // One job is one quota charge: participants may ask for fewer repeats than the challenge's, organizers for more.
    if (!organizer && repeats > (challenge.repeats ?? 3))
      throw new AgoraError('validation_failed', `at most ${challenge.repeats ?? 3} repeats per job in this challenge; queue more jobs to measure more (their samples pool)`, { max: challenge.repeats ?? 3 });
    if (visibility === 'private' && !organizer)
      throw new AgoraError('forbidden', `split "${body.split}" is private: only organizers run verification jobs on it`);
    if (visibility === 'public' && submission.author_id !== actor.participantId && !submission.staged && !organizer)
      throw new AgoraError('forbidden', `submission ${submission.id} is not staged: only its author may run it (the author can stage it to ask others to sponsor a run)`);
    const id = await db.transaction((tx) =>
      queueJob(tx, {
        collab: a.collab, submission, split: body.split, visibility, repeats,
        requestedBy: { id: actor.participantId, handle: actor.handle },
        sponsorId: visibility === 'private' ? null : actor.participantId,
        rerunOf: null,
      }),
    );
    return jobOut(db, a.collab.id, id, a.role);
  });

  mount(app, r.listJobs, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const where = ['j.collaboration_id = $1'];
    const args: unknown[] = [a.collab.id];
    const arg = (v: unknown) => `$${args.push(v)}`;
    if (query.state) {
      const states = query.state.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = states.find((s) => !(['queued', 'running', ...FINISHED] as string[]).includes(s));
      if (bad) throw new AgoraError('validation_failed', `unknown job state "${bad.slice(0, 40)}"`);
      where.push(`j.state = any(${arg(states)}::text[])`);
    }
    if (query.submissionId) where.push(`j.submission_id = ${arg(query.submissionId)}`);
    if (query.split) where.push(`j.split = ${arg(query.split)}`);
    if (query.overdue) where.push(query.overdue === 'true' ? 'j.overdue_at is not null' : 'j.overdue_at is null');
    if (query.participant) {
      const [p] = await db.query<{ id: number }>('select id from participants where handle = $1', [query.participant]);
      if (!p) throw new AgoraError('not_found', `no participant @${query.participant}`);
      const x = arg(p.id);
      where.push(`(j.originator_id = ${x} or j.sponsor_id = ${x} or j.requested_by = ${x})`);
    }
    const before = decodeCursor(query.cursor);
    if (before !== null) where.push(`j.id < ${arg(before)}`);
    const rows = await db.query<JobViewRow>(`${JOB_VIEW_SQL} where ${where.join(' and ')} order by j.id desc limit ${arg(query.limit + 1)}`, args);
    const page = rows.slice(0, query.limit);
    const items = await jobsOut(db, page, a.role, { details: false });
    return { items, nextCursor: rows.length > query.limit ? encodeCursor(page.at(-1)!.id) : null };
  });

  mount(app, r.getJob, async ({ actor, params, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    return jobOut(db, a.collab.id, params.id, a.role);
  });

  mount(app, r.cancelJob, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    await db.transaction(async (tx) => {
      const job = await lockJob(tx, params.id);
      if (!job || job.collaboration_id !== a.collab.id) throw new AgoraError('not_found', `job ${params.id} not found in this collaboration`);
      const mine = [job.requested_by, job.sponsor_id, job.originator_id].includes(actor.participantId);
      if (!mine && a.role !== 'organizer') throw new AgoraError('forbidden', 'only the job\'s requester, originator or sponsor, or an organizer, may cancel it');
      const why = `cancelled by @${actor.handle}${body.reason ? `: ${body.reason}` : ''}`;
      if (job.state === 'queued') {
        await transition(tx, job, 'cancel_queued', { reason: `${why} before it started`, actorId: actor.participantId });
      } else if (job.state === 'running') {
        if (job.cancel_requested) return;
        await tx.query('update jobs set cancel_requested = true, reason = $2 where id = $1', [job.id, `${why}; waiting for the runner to stop it`]);
        await platformLog(tx, job, `[agora] ${why}; the runner is asked to stop (charged: it had started)`);
        await jobEvent(tx, job, 'job.cancel_requested', actor.participantId, { state: 'running' });
      } else {
        throw new AgoraError('conflict', `job ${job.id} already finished (${job.state}); nothing to cancel`, { state: job.state });
      }
    });
    return jobOut(db, a.collab.id, params.id, a.role);
  });

  mount(app, r.rerunJob, async ({ actor, params, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const old = await jobView(db, a.collab.id, params.id);
    const organizer = a.role === 'organizer';
    if (!FINISHED.includes(old.state)) throw new AgoraError('conflict', `job ${old.id} is still ${old.state}; re-run it once it has finished`, { state: old.state });
    if (!organizer) {
      if (old.originator_id !== actor.participantId && old.requested_by !== actor.participantId)
        throw new AgoraError('forbidden', 'only organizers, or the job\'s originator or requester, may re-run it');
      if (!RERUNNABLE_BY_AUTHOR.includes(old.state))
        throw new AgoraError('conflict', `job ${old.id} succeeded; to measure again, queue a new job (each run counts in the pooled score)`, { state: old.state });
      if (old.visibility === 'private') throw new AgoraError('forbidden', 'private-split jobs are re-run by organizers');
    }
    const submission = await submissionIn(db, a.collab.id, old.submission_id);
    if (submission.invalidated_at) throw new AgoraError('conflict', `submission ${submission.id} was invalidated; it is not re-run`);
    const id = await db.transaction((tx) =>
      queueJob(tx, {
        collab: a.collab, submission, split: old.split, visibility: old.visibility, repeats: old.repeats,
        requestedBy: { id: actor.participantId, handle: actor.handle },
        sponsorId: organizer ? null : actor.participantId,
        rerunOf: old.id,
      }),
    );
    return jobOut(db, a.collab.id, id, a.role);
  });

  const logAccess = async (db: Queryable, slug: string, actor: Parameters<typeof access>[2], id: number) => {
    const a = await access(db, slug, actor);
    const [job] = await db.query<JobRow>('select * from jobs where id = $1 and collaboration_id = $2', [id, a.collab.id]);
    if (!job) throw new AgoraError('not_found', `job ${id} not found in this collaboration`);
    if (job.visibility === 'private' && a.role !== 'organizer')
      throw new AgoraError('forbidden', 'logs of private-split jobs are visible to organizers only: they may quote private data');
    return job;
  };
  const readLogs = (db: Queryable, id: number, after: number, limit: number) =>
    db.query<{ seq: number; stream: 'harness' | 'stdout' | 'stderr' | 'runner' | 'platform'; text: string; created_at: Date }>(
      'select seq, stream, text, created_at from job_logs where job_id = $1 and seq > $2 order by seq limit $3', [id, after, limit]);
  const lineOut = (l: { seq: number; stream: 'harness' | 'stdout' | 'stderr' | 'runner' | 'platform'; text: string; created_at: Date }) =>
    ({ seq: l.seq, stream: l.stream, text: l.text, at: isoReq(l.created_at) });

  mount(app, r.jobLogs, async ({ actor, params, query, services: { db } }) => {
    const job = await logAccess(db, params.collab, actor, params.id);
    const lines = await readLogs(db, job.id, query.after, query.limit);
    const done = FINISHED.includes(job.state) && lines.length < query.limit;
    return { items: lines.map(lineOut), nextAfter: lines.at(-1)?.seq ?? query.after, truncated: job.log_truncated, state: job.state, done };
  });

  // Live logs: server-sent events `log` (id = line number; resumes from Last-Event-ID), then `end` once the job has finished.
  app.get('/v1/collaborations/:collab/jobs/:id/logs/stream', async (c) => {
    const { db, hub } = c.get('services');
    const id = c.req.param('id');
    if (!/^\d{1,9}$/.test(id)) throw new AgoraError('validation_failed', 'job id must be a positive integer');
    const job = await logAccess(db, c.req.param('collab'), c.get('actor'), Number(id));
    const from = c.req.header('last-event-id') ?? c.req.query('after') ?? '0';
    if (!/^\d{1,9}$/.test(from)) throw new AgoraError('validation_failed', 'Last-Event-ID / after must be a line number');
    let cursor = Number(from);
    return streamSSE(c, async (stream) => {
      const aborted = new AbortController();
      stream.onAbort(() => aborted.abort());
      let lastWrite = Date.now();
      while (!aborted.signal.aborted) {
        const seen = hub.current;
        const [{ state }] = (await db.query<{ state: JobState }>('select state from jobs where id = $1', [job.id])) as [{ state: JobState }];
        const lines = await readLogs(db, job.id, cursor, 500);
        for (const l of lines) {
          await stream.writeSSE({ id: String(l.seq), event: 'log', data: JSON.stringify(lineOut(l)) });
          cursor = l.seq;
        }
        if (lines.length === 500) continue;
        if (FINISHED.includes(state)) {
          await stream.writeSSE({ event: 'end', data: JSON.stringify({ state }) });
          return;
        }
        if (lines.length) lastWrite = Date.now();
        await hub.wait(seen, 15_000, aborted.signal);
        if (Date.now() - lastWrite >= 15_000 && !aborted.signal.aborted) {
          await stream.write(': keep-alive\n\n');
          lastWrite = Date.now();
        }
      }
    });
  });

  mount(app, r.myQuota, async ({ actor, params, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const q = await quotaOf(db, a.collab.id, actor.participantId, a.collab.challenge);
    const o = await ownerQuotaOf(db, a.collab.id, actor.participantId, a.collab.challenge);
    return {
      limit: q.limit, base: q.base, granted: q.granted, used: q.used, remaining: q.remaining, nextFreesAt: q.nextFreesAt?.toISOString() ?? null, windowHours: 24,
      owner: o ? { name: o.owner, limit: o.limit, used: o.used, remaining: o.remaining } : null,
    };
  });

  mount(app, r.grantQuota, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'organizer');
    const [p] = await db.query<{ id: number; handle: string }>(
      'select p.id, p.handle from participants p join memberships m on m.participant_id = p.id and m.collaboration_id = $2 where p.handle = $1',
      [body.handle, a.collab.id]);
    if (!p) throw new AgoraError('not_found', `@${body.handle} is not a member of this collaboration`);
    return db.transaction(async (tx) => {
      const [g] = await tx.query<{ id: number; created_at: Date; expires_at: Date }>(
        `insert into quota_grants (collaboration_id, participant_id, extra_jobs, reason, granted_by, expires_at)
         values ($1, $2, $3, $4, $5, now() + make_interval(hours => $6)) returning id, created_at, expires_at`,
        [a.collab.id, p.id, body.extraJobs, body.reason, actor.participantId, body.hours]);
      await appendEvent(tx, {
        collaborationId: a.collab.id, actorId: actor.participantId, type: 'quota.granted', subject: `@${p.handle}`,
        payload: { handle: p.handle, extraJobs: body.extraJobs, reason: body.reason, expiresAt: isoReq(g!.expires_at) },
      });
      return {
        id: g!.id, participant: p, extraJobs: body.extraJobs, reason: body.reason,
        grantedBy: { id: actor.participantId, handle: actor.handle }, createdAt: isoReq(g!.created_at), expiresAt: isoReq(g!.expires_at),
      };
    });
  });

  mount(app, r.leaderboard, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const challenge = a.collab.challenge;
    splitOf(challenge, query.split);
    const rows = await db.query<{
      submission_id: number; title: string; author_id: number; author_handle: string; hardware_class: string; samples: number[];
      guardrails: Array<{ name: string; passed: boolean }>; guardrails_passed: boolean; sponsor_id: number | null; sponsor_handle: string | null; created_at: Date;
    }>(
      `select r.submission_id, s.title, s.author_id, pa.handle as author_handle, r.hardware_class, r.samples, r.guardrails, r.guardrails_passed,
              j.sponsor_id, ps.handle as sponsor_handle, r.created_at
       from results r join jobs j on j.id = r.job_id join submissions s on s.id = r.submission_id
       join participants pa on pa.id = s.author_id left join participants ps on ps.id = j.sponsor_id
       where r.collaboration_id = $1 and r.split = $2 and j.state = 'succeeded' and s.invalidated_at is null and s.withdrawn_at is null
         and ($3::text is null or r.hardware_class = $3) and ($4::timestamptz is null or r.created_at <= $4)
       order by r.job_id`,
      [a.collab.id, query.split, query.hardware ?? null, leaderboardCutoff(challenge.schedule, new Date(), a.role)]);
    const groups = new Map<string, typeof rows>();
    for (const row of rows) {
      const k = `${row.hardware_class}\u0000${row.submission_id}`;
      groups.set(k, [...(groups.get(k) ?? []), row]);
    }
    const confidence = challenge.significance?.confidence ?? 0.95;
    const classes = [...new Set(rows.map((r) => r.hardware_class))].sort();
    const items = classes.flatMap((cls) => {
      const pools = [...groups.entries()].filter(([k]) => k.startsWith(`${cls}\u0000`)).map(([k, g]) => ({
        key: k, samples: g.flatMap((x) => x.samples), guardrailsPassed: g.every((x) => x.guardrails_passed),
      }));
      return rankPools(pools, challenge.metric.direction, confidence).map((p) => {
        const g = groups.get(p.key)!;
        const first = g[0]!;
        const sponsors = new Map<number, string>();
        for (const x of g) if (x.sponsor_id && x.sponsor_id !== first.author_id) sponsors.set(x.sponsor_id, x.sponsor_handle!);
        return {
          rank: p.rank, tier: p.tier, submissionId: first.submission_id, title: first.title,
          author: { id: first.author_id, handle: first.author_handle },
          sponsors: [...sponsors].map(([id, handle]) => ({ id, handle })),
          hardwareClass: cls, jobs: g.length, n: p.n, mean: p.mean, stdev: p.stdev, ciLow: p.ciLow, ciHigh: p.ciHigh,
          guardrailsPassed: p.guardrailsPassed,
          failedGuardrails: [...new Set(g.flatMap((x) => x.guardrails.filter((gr) => !gr.passed).map((gr) => gr.name)))],
          lastResultAt: isoReq(g.at(-1)!.created_at),
        };
      });
    });
    const noiseFloor = classes.flatMap((cls) => {
      const spread = items.filter((e) => e.hardwareClass === cls && e.stdev !== null);
      if (!spread.length) return [];
      const rel = spread.filter((e) => e.mean !== 0).map((e) => e.stdev! / Math.abs(e.mean));
      return [{ hardwareClass: cls, submissions: spread.length, medianStdev: median(spread.map((e) => e.stdev!)), medianRelativeStdev: rel.length ? median(rel) : null }];
    });
    const { name, unit, direction } = challenge.metric;
    return { split: query.split, hardware: query.hardware ?? null, metric: { name, unit, direction }, confidence, hardwareClasses: classes, noiseFloor, items };
  });

  mount(app, r.submissionResults, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    await submissionIn(db, a.collab.id, params.id);
    const results = await db.query<{ split: string; hardware_class: string; samples: number[]; guardrails_passed: boolean }>(
      `select r.split, r.hardware_class, r.samples, r.guardrails_passed from results r join jobs j on j.id = r.job_id
       where r.submission_id = $1 and j.state = 'succeeded' order by r.split, r.hardware_class, r.job_id`,
      [params.id]);
    const pools = new Map<string, typeof results>();
    for (const x of results) {
      const k = `${x.split}\u0000${x.hardware_class}`;
      pools.set(k, [...(pools.get(k) ?? []), x]);
    }
    const confidence = a.collab.challenge.significance?.confidence ?? 0.95;
    const before = decodeCursor(query.cursor);
    const rows = await db.query<JobViewRow>(
      `${JOB_VIEW_SQL} where j.submission_id = $1 and j.collaboration_id = $2 and ($3::int is null or j.id < $3) order by j.id desc limit $4`,
      [params.id, a.collab.id, before, query.limit + 1]);
    const page = rows.slice(0, query.limit);
    return {
      submissionId: params.id,
      pools: [...pools.values()].map((g) => {
        const s = summarize(g.flatMap((x) => x.samples), confidence);
        return {
          split: g[0]!.split, hardwareClass: g[0]!.hardware_class, jobs: g.length, n: s.n, mean: s.mean, stdev: s.stdev,
          ciLow: s.ciLow, ciHigh: s.ciHigh, guardrailsPassed: g.every((x) => x.guardrails_passed),
        };
      }),
      items: await jobsOut(db, page, a.role, { details: true }),
      nextCursor: rows.length > query.limit ? encodeCursor(page.at(-1)!.id) : null,
    };
  });
}
