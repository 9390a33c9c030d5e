import { routes, streamRoutes, type Auth } from '@agora/core';
import type { Fixtures } from './authz-matrix.fixtures.ts';

/**
 * The authorization matrix's expectations (decision 0150). Each route of the route table, and each
 * live stream, names who among the members may act (`rule`) and how to ask (`request`); who else
 * is refused follows from the route's declared `auth`: revoked and rotated-away keys 401
 * everywhere, a runner token 401 off the runner routes and only it on them, an anonymous caller
 * 401 where a key is required. A route added to the table without a row here fails the test.
 */
export const WHO = ['anonymous', 'observer', 'participant', 'other', 'organizer', 'admin', 'revoked', 'rotated', 'runner'] as const;
export type Who = (typeof WHO)[number];
/** 'ok' is a 2xx answer; 409 and 422 an allowed caller told about state (permission comes first). */
export type Outcome = 'ok' | 401 | 403 | 404 | 409 | 422;
type Rule = Partial<Record<Who, Outcome>>;

export interface Req {
  params?: Record<string, string | number>;
  query?: Record<string, string | number>;
  body?: unknown;
  /** A non-JSON body (uploads). */
  raw?: { type: string; data: Uint8Array };
}

export interface Case {
  rule: Rule;
  request: (f: Fixtures, who: Who) => Req;
}

// Who among the members may act; unnamed columns are allowed.
const anyone: Rule = {};
const writers: Rule = { observer: 403 };
const authorOrOrganizer: Rule = { observer: 403, other: 403 };
const authorOnly: Rule = { observer: 403, other: 403, organizer: 403, admin: 403 };
const organizers: Rule = { observer: 403, participant: 403, other: 403 };
const admins: Rule = { observer: 403, participant: 403, other: 403, organizer: 403 };

const C = (f: Fixtures) => ({ collab: f.collab });
const withId = (id: (f: Fixtures, who: Who) => number) => (f: Fixtures, who: Who): Req => ({ params: { ...C(f), id: id(f, who) } });
const onCollab = (f: Fixtures): Req => ({ params: C(f) });
const read = (request: (f: Fixtures, who: Who) => Req = onCollab): Case => ({ rule: anyone, request });
const sub = withId((f) => f.submission);
const forWho = <T>(m: Record<string, T>, who: Who, fallback: string): T => m[who] ?? m[fallback]!;

export const matrix: Record<keyof typeof routes | keyof typeof streamRoutes, Case | Case[]> = {
  // ---- submissions and artifacts
  createSubmission: { rule: writers, request: (f, who) => ({ params: C(f), body: { title: `by ${who}`, files: [{ path: 'main.py', content: `print("${who}")\n` }] } }) },
  uploadSubmission: { rule: writers, request: (f, who) => ({ params: C(f), query: { title: `upload by ${who}` }, raw: { type: 'application/gzip', data: f.bundle } }) },
  listSubmissions: read(),
  getSubmission: read(sub),
  downloadBundle: read(sub),
  getSubmissionFile: read((f) => ({ params: { ...C(f), id: f.submission }, query: { path: 'serve.py' } })),
  diffSubmission: read((f) => ({ params: { ...C(f), id: f.submission }, query: { against: f.stagedSubmission } })),
  setSubmissionStaged: { rule: authorOnly, request: (f) => ({ params: { ...C(f), id: f.submission }, body: { staged: false } }) },
  uploadArtifact: { rule: writers, request: (f, who) => ({ params: C(f), raw: { type: 'application/octet-stream', data: new TextEncoder().encode(`artifact of ${who}`) } }) },
  createArtifactUpload: { rule: writers, request: (f) => ({ params: C(f), body: { size: 5 } }) },
  // An upload id is a capability: someone else's reads as absent (404), organizers' included.
  getArtifactUpload: { rule: { observer: 403, other: 404, organizer: 404, admin: 404 }, request: (f) => ({ params: { ...C(f), uploadId: f.uploads.get } }) },
  putArtifactUploadChunk: {
    rule: { observer: 403, other: 404, organizer: 404, admin: 404 },
    request: (f) => ({ params: { ...C(f), uploadId: f.uploads.put }, query: { offset: 0 }, raw: { type: 'application/octet-stream', data: new TextEncoder().encode('hello') } }),
  },
  completeArtifactUpload: { rule: { observer: 403, other: 404, organizer: 404, admin: 404 }, request: (f) => ({ params: { ...C(f), uploadId: f.uploads.complete }, body: { sha256: f.helloSha } }) },
  abortArtifactUpload: { rule: { observer: 403, other: 404, organizer: 404, admin: 404 }, request: (f) => ({ params: { ...C(f), uploadId: f.uploads.abort } }) },
  getArtifact: read((f) => ({ params: { ...C(f), sha256: f.artifact } })),
  downloadArtifact: read((f) => ({ params: { ...C(f), sha256: f.artifact } })),

  // ---- identity and collaborations
  register: { rule: anyone, request: (f, who) => ({ body: { handle: `reg-${who}`, owner: 'matrix', invite: f.invite } }) },
  me: { rule: anyone, request: () => ({}) },
  listKeys: { rule: anyone, request: () => ({}) },
  rotateKey: { rule: anyone, request: (_f, who) => ({ body: { label: `by ${who}` } }) },
  // Alice's spare key: hers to revoke, and an admin's; anyone else's attempt reads as absent.
  revokeKey: { rule: { observer: 404, other: 404, organizer: 404 }, request: (f, who) => ({ params: { keyId: forWho(f.spareKeys, who, 'participant') } }) },
  createCollaboration: { rule: admins, request: (f, who) => ({ body: { challengeDir: f.challengeDir, slug: `matrix-${who}` } }) },
  listCollaborations: read(() => ({})),
  getCollaboration: read(),
  updateCollaboration: { rule: organizers, request: (f) => ({ params: C(f), body: { openRegistration: false } }) },
  createInvite: { rule: organizers, request: (f) => ({ params: C(f), body: { role: 'observer' } }) },
  // Anyone with a key joins a collaboration open to registration; its creator is a member already.
  join: { rule: { admin: 409 }, request: (f) => ({ params: { collab: f.openCollab }, body: {} }) },
  listMembers: read(),
  setRole: { rule: organizers, request: (f) => ({ params: { ...C(f), handle: f.handles.spare }, body: { role: 'participant' } }) },

  // ---- events
  listEvents: read(),
  eventStream: read(),

  // ---- knowledge base
  createPage: { rule: writers, request: (f, who) => ({ params: C(f), body: { slug: `new-${who}`, title: 'New', category: 'other', body: 'new page' } }) },
  listPages: read(),
  searchPages: read((f) => ({ params: C(f), query: { q: 'revision' } })),
  getPage: read((f) => ({ params: { ...C(f), slug: f.page } })),
  // Pages are the collaboration's: any participant edits any page.
  editPage: { rule: writers, request: (f, who) => ({ params: { ...C(f), slug: forWho(f.editPages, who, 'participant') }, body: { baseRevision: 1, body: `edited by ${who}\n` } }) },
  listPageRevisions: read((f) => ({ params: { ...C(f), slug: f.page } })),
  diffPage: read((f) => ({ params: { ...C(f), slug: f.page }, query: { from: 1, to: 2 } })),
  revertPage: { rule: writers, request: (f, who) => ({ params: { ...C(f), slug: forWho(f.revertPages, who, 'participant') }, body: { revision: 1, baseRevision: 2 } }) },

  // ---- board
  createPost: { rule: writers, request: (f, who) => ({ params: C(f), body: { title: `post by ${who}`, body: 'hello' } }) },
  listThreads: read(),
  getPost: read(withId((f) => f.post)),
  editPost: { rule: authorOrOrganizer, request: (f, who) => ({ params: { ...C(f), id: f.editablePost }, body: { body: `edited by ${who}` } }) },
  listRevisions: read(withId((f) => f.post)),
  hidePost: { rule: organizers, request: (f, who) => ({ params: { ...C(f), id: forWho(f.hidePosts, who, 'organizer') }, body: { reason: 'matrix' } }) },
  searchPosts: read((f) => ({ params: C(f), query: { q: 'matrix' } })),
  boardNew: { rule: anyone, request: onCollab },
  markRead: { rule: anyone, request: (f) => ({ params: C(f), body: { upTo: f.post } }) },
  getReadCursor: { rule: anyone, request: onCollab },

  // ---- runners (admins; organizers for their own collaborations) and the runner protocol
  createRunner: { rule: organizers, request: (f, who) => ({ body: { name: `runner of ${who}`, labels: ['cpu'], collaborations: [f.collab] } }) },
  listRunners: { rule: admins, request: () => ({}) },
  backup: { rule: admins, request: () => ({}) },
  revokeRunner: { rule: admins, request: (f) => ({ params: { id: f.spareRunner } }) },
  runnerHeartbeat: { rule: anyone, request: () => ({ body: { labels: ['cpu'], environment: { cpu: 'matrix cpu' } } }) },
  // Labels no queued job needs: the claim answers {job: null} and leaves the fixtures' jobs alone.
  claimJob: { rule: anyone, request: () => ({ body: { labels: ['no-such-label'] } }) },
  jobHeartbeat: { rule: anyone, request: (f) => ({ params: { id: f.runJob.id }, body: { leaseToken: f.runJob.leaseToken } }) },
  appendJobLogs: { rule: anyone, request: (f) => ({ params: { id: f.runJob.id }, body: { leaseToken: f.runJob.leaseToken, lines: [{ stream: 'stdout', text: 'hello' }] } }) },
  jobBundle: { rule: anyone, request: (f) => ({ params: { id: f.runJob.id }, query: { leaseToken: f.runJob.leaseToken } }) },
  jobArtifact: { rule: anyone, request: (f) => ({ params: { sha256: f.artifact }, query: { jobId: f.runJob.id, leaseToken: f.runJob.leaseToken } }) },
  submitJobResult: {
    rule: anyone,
    request: (f) => ({ params: { id: f.resultJob.id }, body: { leaseToken: f.resultJob.leaseToken, outcome: 'failed', reason: 'matrix', environment: { cpu: 'matrix cpu' } } }),
  },

  // ---- jobs and quota
  createJob: [
    // A staged submission may be run (sponsored) by any participant...
    { rule: writers, request: (f) => ({ params: C(f), body: { submissionId: f.stagedSubmission, split: 'public' } }) },
    // ...an unstaged one by its author and organizers only; a private split by organizers only.
    { rule: authorOrOrganizer, request: (f) => ({ params: C(f), body: { submissionId: f.submission, split: 'public' } }) },
    { rule: organizers, request: (f) => ({ params: C(f), body: { submissionId: f.submission, split: 'private' } }) },
  ],
  listJobs: read(),
  getJob: read(withId((f) => f.runJob.id)),
  cancelJob: { rule: authorOrOrganizer, request: (f, who) => ({ params: { ...C(f), id: forWho(f.cancelJobs, who, 'participant') }, body: { reason: 'matrix' } }) },
  rerunJob: { rule: authorOrOrganizer, request: withId((f) => f.finishedJob) },
  // The matrix's challenge offers no smoke runs: those allowed are told so (422, decision 0180).
  smokeRun: { rule: { ...authorOrOrganizer, participant: 422, organizer: 422, admin: 422 }, request: sub },
  jobLogs: [
    read(withId((f) => f.runJob.id)),
    // A private-split job's log may quote private data: organizers only.
    { rule: { anonymous: 403, observer: 403, participant: 403, other: 403 }, request: withId((f) => f.privateJob) },
  ],
  jobLogStream: [
    read(withId((f) => f.runJob.id)),
    { rule: { anonymous: 403, observer: 403, participant: 403, other: 403 }, request: withId((f) => f.privateJob) },
  ],
  myQuota: { rule: anyone, request: onCollab },
  grantQuota: { rule: organizers, request: (f) => ({ params: C(f), body: { handle: f.handles.participant, extraJobs: 1, reason: 'matrix' } }) },
  leaderboard: read(),
  // Allowed to everyone; the fixtures have no scores to compare (422 says so).
  compare: { rule: { anonymous: 422, observer: 422, participant: 422, other: 422, organizer: 422, admin: 422 }, request: (f) => ({ params: C(f), query: { a: f.submission, b: f.stagedSubmission } }) },
  submissionResults: read(sub),

  // ---- challenge files
  listChallengeFiles: read(),
  getChallengeFile: read((f) => ({ params: C(f), query: { path: 'challenge.yaml' } })),

  // ---- integrity
  // Flagging one's own submission is refused as state (409: withdraw it instead).
  createFlag: { rule: { observer: 403, participant: 409 }, request: (f, who) => ({ params: C(f), body: { ...(who === 'other' ? { post: f.editablePost } : { submission: f.submission }), category: 'other', evidence: `flag by ${who}` } }) },
  listFlags: { rule: anyone, request: onCollab },
  // Bob's flag: for him and the organizers; the flagged author does not read it.
  getFlag: { rule: { observer: 403, participant: 403 }, request: withId((f) => f.flag) },
  createRuling: { rule: organizers, request: (f, who) => ({ params: C(f), body: { kind: 'dismiss', title: 'Dismissed', text: 'matrix', flags: [forWho(f.ruleFlags, who, 'organizer')] } }) },
  listRulings: read(),
  getRuling: read(withId((f) => f.ruling)),
  withdrawSubmission: { rule: authorOnly, request: (f) => ({ params: { ...C(f), id: f.withdrawable }, body: { reason: 'matrix' } }) },
  auditLog: { rule: organizers, request: onCollab },
  // The fixtures' private job is still pending: organizers are told so (409), after permission.
  verifySubmission: { rule: { ...organizers, organizer: 409, admin: 409 }, request: (f) => ({ params: { ...C(f), id: f.submission }, body: {} }) },
  listVerifications: read(),
  getVerification: read(withId((f) => f.verification)),
  overrideVerdict: { rule: { ...organizers, organizer: 409, admin: 409 }, request: (f) => ({ params: { ...C(f), id: f.verification }, body: { verdict: 'verified', reason: 'matrix' } }) },
  lineage: read(),
  frontier: read(),
  progress: read(),
  schedule: read(),
  // Nothing is published before the challenge ends: 404 to readers, 409 to organizers (permission first).
  finalStandings: { rule: { anonymous: 404, observer: 404, participant: 404, other: 404, organizer: 404, admin: 404 }, request: onCollab },
  finalizeStandings: { rule: { ...organizers, organizer: 409, admin: 409 }, request: (f) => ({ params: C(f), body: {} }) },

  // ---- claims and the digest
  createClaim: { rule: writers, request: (f, who) => ({ params: C(f), body: { lever: `claim-${who}` } }) },
  listClaims: read(),
  releaseClaim: { rule: authorOrOrganizer, request: (f, who) => ({ params: { ...C(f), id: forWho(f.claims, who, 'participant') } }) },
  getDigest: { rule: anyone, request: onCollab },
  joinDocument: read(),

  // ---- analytics (readers; flagged edges only for organizers, checked in analytics.test.ts)
  interactionGraph: read(),
  analyticsMeasures: read(),
  analyticsTimeline: read(),
  relays: read(),
  exportCollaboration: read(),
};

/** The answer a cell must get: the route's rule for members, the declared auth for everyone else. */
export function expected(auth: Auth, rule: Rule, who: Who): Outcome {
  if (who === 'revoked' || who === 'rotated') return 401;
  if (auth === 'runner') return who === 'runner' ? (rule.runner ?? 'ok') : 401;
  if (who === 'runner') return 401;
  if (who === 'anonymous') return auth === 'required' ? 401 : (rule.anonymous ?? 'ok');
  return rule[who] ?? 'ok';
}
