import { z } from 'zod';
import { Slug } from '../schemas/challenge.ts';
import {
  AuditEntry,
  CreateFlagBody,
  CreateRulingBody,
  FinalizeResponse,
  FinalStandings,
  Flag,
  Frontier,
  Lineage,
  ListFlagsQuery,
  ListVerificationsQuery,
  OverrideVerdictBody,
  Verification,
  VerifyBody,
  Progress,
  Ruling,
  ScheduleOut,
  SubmissionStanding,
  WithdrawBody,
} from '../schemas/integrity.ts';
import { SubmissionRefText } from '../schemas/submissions.ts';
import { Cursor, IdParam, Limit, Page, route } from './route.ts';

const CollabParams = z.object({ collab: Slug });
const IdParams = z.object({ collab: Slug, id: IdParam });

export const integrityRoutes = {
  createFlag: route({
    method: 'post', path: '/v1/collaborations/{collab}/flags', tag: 'integrity', auth: 'required', status: 201,
    summary: 'Flag a submission or a post for the organizers: category loophole, overfitting (to public data), missing-attribution, broken-measurement or other, with evidence (markdown). Only organizers and you read it; an organizer answers with a ruling, a pinned post tagged `ruling`.',
    params: CollabParams,
    body: CreateFlagBody,
    response: Flag,
  }),
  listFlags: route({
    method: 'get', path: '/v1/collaborations/{collab}/flags', tag: 'integrity', auth: 'required',
    summary: 'The flag queue, newest first (organizers: every flag; participants: their own). Filter by state (open, upheld, dismissed) or submission.',
    params: CollabParams,
    query: ListFlagsQuery,
    response: Page(Flag),
  }),
  getFlag: route({
    method: 'get', path: '/v1/collaborations/{collab}/flags/{id}', tag: 'integrity', auth: 'required',
    summary: 'One flag (organizers, or its reporter).',
    params: IdParams,
    response: Flag,
  }),
  createRuling: route({
    method: 'post', path: '/v1/collaborations/{collab}/rulings', tag: 'integrity', auth: 'required', status: 201,
    summary: 'Organizers: rule. uphold closes flags as upheld and may invalidate submissions (invalidate.submissions) and every descendant that carries a lever (invalidate.lever); dismiss closes flags; reinstate makes invalid submissions valid again (reinstate.submissions, or revokes: an earlier ruling). Invalid submissions leave the ranking and stay in the lineage. Published as a pinned public post tagged `ruling`.',
    params: CollabParams,
    body: CreateRulingBody,
    response: Ruling,
  }),
  listRulings: route({
    method: 'get', path: '/v1/collaborations/{collab}/rulings', tag: 'integrity', auth: 'optional',
    summary: 'Rulings, newest first, each with its flags, the submissions it invalidated or reinstated and its post; filter by submission.',
    params: CollabParams,
    query: z.object({ submission: SubmissionRefText.optional(), limit: Limit(200, 50), cursor: Cursor }),
    response: Page(Ruling),
  }),
  getRuling: route({
    method: 'get', path: '/v1/collaborations/{collab}/rulings/{id}', tag: 'integrity', auth: 'optional',
    summary: 'One ruling.',
    params: IdParams,
    response: Ruling,
  }),
  withdrawSubmission: route({
    method: 'post', path: '/v1/collaborations/{collab}/submissions/{id}/withdraw', tag: 'integrity', auth: 'required',
    summary: 'The author withdraws a submission: it leaves the ranking (for good) and stays in the lineage, marked withdrawn; it runs no more jobs.',
    params: IdParams,
    body: WithdrawBody,
    response: z.object({ submissionId: z.number().int(), standing: SubmissionStanding }),
  }),
  auditLog: route({
    method: 'get', path: '/v1/collaborations/{collab}/audit', tag: 'integrity', auth: 'required',
    summary: 'Organizers: every action an organizer took (rulings, invalidations, hidden posts, quota grants, verification, invites, ...), newest first, from the event log.',
    params: CollabParams,
    query: z.object({ types: z.string().max(500).optional().describe('comma-separated event types'), limit: Limit(500, 100), cursor: Cursor }),
    response: Page(AuditEntry),
  }),
  verifySubmission: route({
    method: 'post', path: '/v1/collaborations/{collab}/submissions/{id}/verify', tag: 'integrity', auth: 'required', status: 201,
    summary: 'Organizers: verify a submission now: a private-split job (uncharged: the collaboration\'s budget; its author cannot cancel it) whose verdict (verified, diverged with what diverged, failed) the verifier announces on the board. The verifier also runs by itself: every new leader, and the top K of each day.',
    params: IdParams,
    body: VerifyBody,
    response: Verification,
  }),
  listVerifications: route({
    method: 'get', path: '/v1/collaborations/{collab}/verifications', tag: 'integrity', auth: 'optional',
    summary: 'Private verifications, newest first, with their verdicts (a diverged or failed verdict takes the entry out of the public ranking). Private figures are for organizers. Filter by submission or state.',
    params: CollabParams,
    query: ListVerificationsQuery,
    response: Page(Verification),
  }),
  getVerification: route({
    method: 'get', path: '/v1/collaborations/{collab}/verifications/{id}', tag: 'integrity', auth: 'optional',
    summary: 'One verification and its verdict.',
    params: IdParams,
    response: Verification,
  }),
  overrideVerdict: route({
    method: 'post', path: '/v1/collaborations/{collab}/verifications/{id}/override', tag: 'integrity', auth: 'required',
    summary: 'Organizers: set the verdict of a decided verification (verified, diverged, failed), with a reason; announced on the board and kept in the audit log.',
    params: IdParams,
    body: OverrideVerdictBody,
    response: Verification,
  }),
  lineage: route({
    method: 'get', path: '/v1/collaborations/{collab}/lineage', tag: 'integrity', auth: 'optional',
    summary: 'The lineage DAG in one answer: every submission (or, with `of`, its ancestors and descendants) with parents, levers, author, credits, sponsors, public scores with ranks and tiers, badges, and invalid or withdrawn nodes marked with the ruling linked.',
    params: CollabParams,
    query: z.object({ of: SubmissionRefText.optional(), split: Slug.default('public') }),
    response: Lineage,
  }),
  frontier: route({
    method: 'get', path: '/v1/collaborations/{collab}/frontier', tag: 'integrity', auth: 'optional',
    summary: 'The Pareto frontier of the primary metric against each guardrail metric, over the ranked entries\' pooled means on a split (invalid and withdrawn submissions left out).',
    params: CollabParams,
    query: z.object({ split: Slug.default('public'), hardware: z.string().max(140).optional() }),
    response: Frontier,
  }),
  progress: route({
    method: 'get', path: '/v1/collaborations/{collab}/progress', tag: 'integrity', auth: 'optional',
    summary: 'The best verified result over time: each step a submission that beat the previous best, with when its private verification passed.',
    params: CollabParams,
    query: z.object({ hardware: z.string().max(140).optional() }),
    response: Progress,
  }),
  schedule: route({
    method: 'get', path: '/v1/collaborations/{collab}/schedule', tag: 'integrity', auth: 'optional',
    summary: 'The challenge\'s start, leaderboard freeze and end, and the phase now (not-started, open, frozen, ended).',
    params: CollabParams,
    response: ScheduleOut,
  }),
  finalStandings: route({
    method: 'get', path: '/v1/collaborations/{collab}/standings', tag: 'integrity', auth: 'optional',
    summary: 'The final standings, published once after the end (404 until then).',
    params: CollabParams,
    response: FinalStandings,
  }),
  finalizeStandings: route({
    method: 'post', path: '/v1/collaborations/{collab}/standings', tag: 'integrity', auth: 'required',
    summary: 'Organizers, after the end: publish the final standings (ranked, verified entries only) as a pinned post, once and for good. While ranked entries lack a passing private result, answers them as unverified (with the verification jobs it queued) and publishes nothing.',
    params: CollabParams,
    body: z.object({ split: Slug.default('public') }),
    response: FinalizeResponse,
  }),
};
