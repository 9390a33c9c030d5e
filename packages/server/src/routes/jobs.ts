import { AgoraError, isTerminal, jobRoutes as r, JobState, poolSeenBy, summarize, type Role } from '@agora/core';
import type { Queryable } from '@agora/store';
import { jobState, logLinesAfter, type LogLineRow, type SubmissionResultRow } from '@agora/store/jobs';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { isoReq } from '../collab.ts';
import * as ops from '../operations/jobs.ts';
import { mount, type AppEnv } from '../mount.ts';
import { jobsCursor, jobsOut, submissionJobsCursor } from './job-views.ts';

async function jobOut(db: Queryable, collabId: number, id: number, role: Role | null) {
  const [out] = await jobsOut(db, [await ops.jobViewIn(db, collabId, id)], role, { details: true });
  return out!;
}

const JOB_STATES: readonly string[] = JobState.options;
const lineOut = (l: LogLineRow) => ({ seq: l.seq, stream: l.stream, text: l.text, at: isoReq(l.created_at) });

export function mountJobs(app: Hono<AppEnv>) {
  mount(app, r.createJob, async ({ actor, params, body, services: { db } }) => {
    const { access: a, jobId } = await ops.queueJob({ db, actor }, params.collab, body);
    return jobOut(db, a.collab.id, jobId, a.role);
  });

  mount(app, r.smokeRun, async ({ actor, params, services: { db } }) => {
    const { access: a, jobId } = await ops.smokeRun({ db, actor }, params.collab, params.id);
    return jobOut(db, a.collab.id, jobId, a.role);
  });

  mount(app, r.listJobs, async ({ actor, params, query, services: { db } }) => {
    let states: JobState[] | undefined;
    if (query.state) {
      const asked = query.state.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = asked.find((s) => !JOB_STATES.includes(s));
      if (bad) throw new AgoraError('validation_failed', `unknown job state "${bad.slice(0, 40)}"`);
      states = asked as JobState[];
    }
    const { access: a, rows } = await ops.listJobs({ db, actor }, params.collab, {
      ...(states ? { states } : {}),
      ...(query.submissionId ? { submissionId: query.submissionId } : {}),
      ...(query.split ? { split: query.split } : {}),
      ...(query.overdue ? { overdue: query.overdue === 'true' } : {}),
      ...(query.participant ? { participant: query.participant } : {}),
      beforeId: jobsCursor.decode(query.cursor)?.[0] ?? null,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    const items = await jobsOut(db, page, a.role, { details: false });
    return { items, nextCursor: rows.length > query.limit ? jobsCursor.encode([page.at(-1)!.id]) : null };
  });

  mount(app, r.getJob, async ({ actor, params, services: { db } }) => {
    const { access: a, row } = await ops.getJob({ db, actor }, params.collab, params.id);
    const [out] = await jobsOut(db, [row], a.role, { details: true });
    return out!;
  });

  mount(app, r.cancelJob, async ({ actor, params, body, services: { db } }) => {
    const { access: a } = await ops.cancelJob({ db, actor }, params.collab, params.id, body.reason);
    return jobOut(db, a.collab.id, params.id, a.role);
  });

  mount(app, r.rerunJob, async ({ actor, params, services: { db } }) => {
    const { access: a, jobId } = await ops.rerunJob({ db, actor }, params.collab, params.id);
    return jobOut(db, a.collab.id, jobId, a.role);
  });

  mount(app, r.jobLogs, async ({ actor, params, query, services: { db } }) => {
    const job = await ops.jobForLogs({ db, actor }, params.collab, params.id);
    const lines = await logLinesAfter(db, job.id, query.after, query.limit);
    const done = isTerminal(job.state) && lines.length < query.limit;
    return { items: lines.map(lineOut), nextAfter: lines.at(-1)?.seq ?? query.after, truncated: job.log_truncated, state: job.state, done };
  });

  // Live logs: server-sent events `log` (id = line number; resumes from Last-Event-ID), then `end` once the job has finished.
  app.get('/v1/collaborations/:collab/jobs/:id/logs/stream', async (c) => {
    const { db, hub } = c.get('services');
    const id = c.req.param('id');
    if (!/^\d{1,9}$/.test(id)) throw new AgoraError('validation_failed', 'job id must be a positive integer');
    const job = await ops.jobForLogs({ db, actor: c.get('actor') }, c.req.param('collab'), Number(id));
    const from = c.req.header('last-event-id') ?? c.req.query('after') ?? '0';
    if (!/^\d{1,9}$/.test(from)) throw new AgoraError('validation_failed', 'Last-Event-ID / after must be a line number');
    let cursor = Number(from);
    return streamSSE(c, async (stream) => {
      const aborted = new AbortController();
      stream.onAbort(() => aborted.abort());
      let lastWrite = performance.now(); // monotonic: a wall-clock jump back must not stop the keep-alives
      while (!aborted.signal.aborted) {
        const seen = hub.current;
        const state = await jobState(db, job.id);
        const lines = await logLinesAfter(db, job.id, cursor, 500);
        for (const l of lines) {
          await stream.writeSSE({ id: String(l.seq), event: 'log', data: JSON.stringify(lineOut(l)) });
          cursor = l.seq;
        }
        if (lines.length === 500) continue;
        if (isTerminal(state)) {
          await stream.writeSSE({ event: 'end', data: JSON.stringify({ state }) });
          return;
        }
        if (lines.length) lastWrite = performance.now();
        await hub.wait(seen, 15_000, aborted.signal);
        if (performance.now() - lastWrite >= 15_000 && !aborted.signal.aborted) {
          await stream.write(': keep-alive\n\n');
          lastWrite = performance.now();
        }
      }
    });
  });

  mount(app, r.myQuota, async ({ actor, params, services: { db } }) => {
    const { quota: q, owner: o } = await ops.myQuota({ db, actor }, params.collab);
    return {
      limit: q.limit, base: q.base, granted: q.granted, used: q.used, remaining: q.remaining, nextFreesAt: q.nextFreesAt?.toISOString() ?? null, windowHours: 24,
      owner: o ? { name: o.owner, limit: o.limit, used: o.used, remaining: o.remaining } : null,
    };
  });

  mount(app, r.grantQuota, async ({ actor, params, body, services: { db } }) => {
    const { grant: g, participant, grantedBy } = await ops.grantQuota({ db, actor }, params.collab, body);
    return {
      id: g.id, participant, extraJobs: body.extraJobs, reason: body.reason,
      grantedBy, createdAt: isoReq(g.created_at), expiresAt: isoReq(g.expires_at),
    };
  });

  mount(app, r.submissionResults, async ({ actor, params, query, services: { db } }) => {
    const { access: a, results, rows } = await ops.submissionJobs({ db, actor }, params.collab, params.id, {
      beforeId: submissionJobsCursor.decode(query.cursor)?.[0] ?? null, limit: query.limit + 1,
    });
    const pools = new Map<string, SubmissionResultRow[]>();
    for (const x of results) {
      const k = `${x.split}\u0000${x.hardware_class}`;
      pools.set(k, [...(pools.get(k) ?? []), x]);
    }
    const confidence = a.collab.challenge.significance?.confidence ?? 0.95;
    const page = rows.slice(0, query.limit);
    return {
      submissionId: params.id,
      pools: [...pools.values()].map((g) => {
        const s = summarize(g.flatMap((x) => x.samples), confidence);
        return poolSeenBy(a.role, { visibility: ops.splitVisibility(a.collab.challenge, g[0]!.split) }, {
          split: g[0]!.split, hardwareClass: g[0]!.hardware_class, jobs: g.length, n: s.n, mean: s.mean, stdev: s.stdev,
          ciLow: s.ciLow, ciHigh: s.ciHigh, guardrailsPassed: g.every((x) => x.guardrails_passed),
        });
      }),
      items: await jobsOut(db, page, a.role, { details: true }),
      nextCursor: rows.length > query.limit ? submissionJobsCursor.encode([page.at(-1)!.id]) : null,
    };
  });
}
