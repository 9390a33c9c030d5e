import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Role } from '../schemas/identity.ts';
import type { JobState } from '../schemas/jobs.ts';
import { enforce } from '../decision.ts';
import { cancelAction, jobSponsor, mayCancelJob, mayQueueJob, mayRerunJob, rerunSponsor, type JobFacts, type QueueRequest } from './permissions.ts';
import { claimOrder } from './fair-queue.ts';
import { maySmokeRun } from './smoke.ts';

const AUTHOR = 1;
const OTHER = 2;
const ORG = 9;

/** Each row: who asks, about what, and the expected answer (`ok:<sponsor>` or the refusal's code). */
test('mayQueueJob: who may queue a job, and whose quota pays', () => {
  const base: QueueRequest = {
    role: 'participant', actorId: AUTHOR, split: 'public', visibility: 'public', repeats: 3, challengeRepeats: 3,
    submission: { id: 5, authorId: AUTHOR, staged: false, invalidated: false, invalidatedReason: null },
  };
  const cases: Array<[string, Partial<QueueRequest> & { staged?: boolean; invalidated?: boolean }, string]> = [
    ['the author runs their own submission, charged to them', {}, `ok:${AUTHOR}`],
    ['another participant, not staged', { actorId: OTHER }, 'forbidden'],
    ['another participant, staged: a sponsorship', { actorId: OTHER, staged: true }, `ok:${OTHER}`],
    ['an organizer runs anyone\'s, charged to the organizer', { actorId: ORG, role: 'organizer' }, `ok:${ORG}`],
    ['a participant on a private split', { split: 'private', visibility: 'private' }, 'forbidden'],
    ['an organizer on a private split: uncharged', { actorId: ORG, role: 'organizer', split: 'private', visibility: 'private' }, 'ok:null'],
    ['more repeats than the challenge\'s, participant', { repeats: 4 }, 'validation_failed'],
    ['more repeats than the challenge\'s, organizer', { actorId: ORG, role: 'organizer', repeats: 10 }, `ok:${ORG}`],
    ['fewer repeats', { repeats: 1 }, `ok:${AUTHOR}`],
    ['an invalidated submission, even for organizers', { actorId: ORG, role: 'organizer', invalidated: true }, 'conflict'],
    ['an observer (the role check is the caller\'s; not the author, not staged)', { actorId: OTHER, role: 'observer' }, 'forbidden'],
    // Permission before state (issue 12): a 409 would tell an outsider the submission's state.
    ['another participant, not staged, invalidated: forbidden, not conflict', { actorId: OTHER, invalidated: true }, 'forbidden'],
    ['a participant on a private split of an invalidated submission: forbidden', { split: 'private', visibility: 'private', invalidated: true }, 'forbidden'],
  ];
  for (const [name, c, want] of cases) {
    const { staged, invalidated, ...rest } = c;
    const q = { ...base, ...rest, submission: { ...base.submission, staged: staged ?? false, invalidated: invalidated ?? false } };
    const d = mayQueueJob(q);
    assert.equal(d ? d.code : `ok:${jobSponsor(q)}`, want, name);
  }
  const refused = mayQueueJob({ ...base, submission: { ...base.submission, invalidated: true, invalidatedReason: 'ruling #p4' } });
  assert.throws(() => enforce(refused), (e: { code: string; message: string }) => e.code === 'conflict' && /ruling #p4/.test(e.message));
});

const job = (over: Partial<JobFacts> = {}): JobFacts => ({
  id: 7, state: 'failed', visibility: 'public', originatorId: AUTHOR, sponsorId: AUTHOR, requestedBy: AUTHOR, cancelRequested: false, ...over,
});

test('mayRerunJob: organizers any finished job (uncharged); originator or requester a public one that gave no score (charged)', () => {
  const cases: Array<[string, Role, number, Partial<JobFacts>, boolean, string]> = [
    ['author, failed', 'participant', AUTHOR, {}, false, `ok:${AUTHOR}`],
    ['author, errored', 'participant', AUTHOR, { state: 'errored' }, false, `ok:${AUTHOR}`],
    ['author, timed out', 'participant', AUTHOR, { state: 'timed_out' }, false, `ok:${AUTHOR}`],
    ['author, cancelled', 'participant', AUTHOR, { state: 'cancelled' }, false, `ok:${AUTHOR}`],
    ['author, succeeded: queue a new job instead', 'participant', AUTHOR, { state: 'succeeded' }, false, 'conflict'],
    ['requester (a sponsor) re-runs, charged to them', 'participant', OTHER, { requestedBy: OTHER, sponsorId: OTHER }, false, `ok:${OTHER}`],
    ['a stranger', 'participant', OTHER, {}, false, 'forbidden'],
    ['still queued', 'organizer', ORG, { state: 'queued' }, false, 'conflict'],
    ['still running', 'participant', AUTHOR, { state: 'running' }, false, 'conflict'],
    ['organizer, succeeded: uncharged', 'organizer', ORG, { state: 'succeeded' }, false, 'ok:null'],
    ['author, private split', 'participant', AUTHOR, { visibility: 'private', sponsorId: null, requestedBy: ORG }, false, 'forbidden'],
    ['organizer, private split', 'organizer', ORG, { visibility: 'private', sponsorId: null, requestedBy: ORG }, false, 'ok:null'],
    ['invalidated submission', 'organizer', ORG, {}, true, 'conflict'],
    // Permission before state (issue 12): a stranger learns nothing of the job's state.
    ['a stranger, still running: forbidden, not conflict', 'participant', OTHER, { state: 'running' }, false, 'forbidden'],
    ['a stranger, succeeded: forbidden, not conflict', 'participant', OTHER, { state: 'succeeded' }, false, 'forbidden'],
    ['author, private split, still running: forbidden', 'participant', AUTHOR, { visibility: 'private', sponsorId: null, requestedBy: ORG, state: 'running' }, false, 'forbidden'],
  ];
  for (const [name, role, actorId, over, invalidated, want] of cases) {
    const d = mayRerunJob({ role, actorId, job: job(over), submissionInvalidated: invalidated, submissionId: 5 });
    assert.equal(d ? d.code : `ok:${rerunSponsor({ role, actorId })}`, want, name);
  }
});

test('mayCancelJob: requester, originator, sponsor or organizer, while unfinished', () => {
  const cases: Array<[string, Role, number, Partial<JobFacts>, string]> = [
    ['author, queued', 'participant', AUTHOR, { state: 'queued' }, 'cancel_queued'],
    ['author, running', 'participant', AUTHOR, { state: 'running' }, 'request_cancel'],
    ['author, running, asked already', 'participant', AUTHOR, { state: 'running', cancelRequested: true }, 'already_requested'],
    ['sponsor', 'participant', OTHER, { state: 'queued', sponsorId: OTHER, requestedBy: OTHER }, 'cancel_queued'],
    ['a stranger', 'participant', OTHER, { state: 'queued' }, 'forbidden'],
    ['an observer', 'observer', OTHER, { state: 'queued' }, 'forbidden'],
    ['organizer, anyone\'s', 'organizer', ORG, { state: 'running' }, 'request_cancel'],
    ['author of a private verification job', 'participant', AUTHOR, { state: 'queued', visibility: 'private', sponsorId: null, requestedBy: ORG }, 'forbidden'],
    ['author of a private verification job, running', 'participant', AUTHOR, { state: 'running', visibility: 'private', sponsorId: null, requestedBy: ORG }, 'forbidden'],
    ['organizer, a private verification job', 'organizer', ORG, { state: 'queued', visibility: 'private', sponsorId: null, requestedBy: ORG }, 'cancel_queued'],
    ...(['succeeded', 'guardrail_failed', 'failed', 'errored', 'timed_out', 'cancelled'] as JobState[]).map(
      (state): [string, Role, number, Partial<JobFacts>, string] => [`finished (${state})`, 'organizer', ORG, { state }, 'conflict']),
  ];
  for (const [name, role, actorId, over, want] of cases) {
    const d = mayCancelJob({ role, actorId, job: job(over) });
    assert.equal(d ? d.code : cancelAction(job(over)), want, name);
  }
});

test('smoke runs: offered by the challenge, for whoever may run the submission, a few a day', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const sub = { id: 7, authorId: 1, staged: false, invalidated: false, invalidatedReason: null, withdrawn: false };
  const base = { role: 'participant' as const, actorId: 1, offered: { runs_per_day: 2, wall_seconds: 60 }, submission: sub, recent: [] as Date[], now };
  const hoursAgo = (h: number) => new Date(now.getTime() - h * 3600_000);
  const cases: Array<[string, Partial<typeof base> & { submission?: typeof sub }, string | null]> = [
    ['the author, none used', {}, null],
    ['not offered', { offered: undefined }, 'unprocessable'],
    ['offered zero a day', { offered: { runs_per_day: 0, wall_seconds: 60 } }, 'unprocessable'],
    ['someone else, not staged', { actorId: 2 }, 'forbidden'],
    ['someone else, not staged, not offered: permission first', { actorId: 2, offered: undefined }, 'forbidden'],
    ['someone else, staged', { actorId: 2, submission: { ...sub, staged: true } }, null],
    ['invalidated', { submission: { ...sub, invalidated: true } }, 'conflict'],
    ['withdrawn', { submission: { ...sub, withdrawn: true } }, 'conflict'],
    ['one used of two', { recent: [hoursAgo(3)] }, null],
    ['two used of two', { recent: [hoursAgo(20), hoursAgo(3)] }, 'rate_limited'],
  ];
  for (const [name, over, want] of cases) assert.equal(maySmokeRun({ ...base, ...over })?.code ?? null, want, name);
  const full = maySmokeRun({ ...base, recent: [hoursAgo(20), hoursAgo(3)] })!;
  assert.equal((full.details as { nextAllowedAt: string }).nextAllowedAt, '2026-12-01T16:00:00.000Z', 'the older of the two leaves the window first');
});

test('claim order: smoke runs before scored jobs, each group fair', () => {
  const at = (s: number) => new Date(1_700_000_000_000 + s * 1000);
  const jobs = [
    { id: 1, collaborationId: 1, ownerId: 10, queuedAt: at(1), hardware: ['cpu'], repeats: 3, smoke: false },
    { id: 2, collaborationId: 1, ownerId: 10, queuedAt: at(2), hardware: ['cpu'], repeats: 1, smoke: true },
    { id: 3, collaborationId: 1, ownerId: 11, queuedAt: at(3), hardware: ['cpu'], repeats: 3, smoke: false },
  ];
  assert.deepEqual(claimOrder(jobs).map((j) => j.id), [2, 1, 3]);
});
