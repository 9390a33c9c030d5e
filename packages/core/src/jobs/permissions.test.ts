import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Role } from '../schemas/identity.ts';
import type { JobState } from '../schemas/jobs.ts';
import { enforce } from '../decision.ts';
import { cancelAction, jobSponsor, mayCancelJob, mayQueueJob, mayRerunJob, rerunSponsor, type JobFacts, type QueueRequest } from './permissions.ts';

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
