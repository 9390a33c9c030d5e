import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AgoraClient } from '@agora/sdk';
import { insertSubmission } from './jobs.fixtures.ts';
import { writeFixtureChallenge, type TestServer } from './testing.ts';

/**
 * What the authorization matrix acts on, made once over the API before any cell runs. Alice
 * (the `participant` column) owns the resources; Bob (`other`) owns a few that Alice must not
 * touch. A route whose allowed cells change state gets one target per allowed column, so that
 * each allowed cell finds its target as the setup left it, whatever ran before.
 */
export interface Fixtures {
  collab: string;
  /** A second collaboration with open registration, for `join`. */
  openCollab: string;
  challengeDir: string;
  keys: Record<'observer' | 'participant' | 'other' | 'organizer' | 'admin' | 'revoked' | 'rotated' | 'runner', string | undefined>;
  handles: { participant: string; other: string; spare: string };
  invite: string;
  /** Alice's keys that `revokeKey` revokes: one for her, one for the admin. */
  spareKeys: { participant: string; admin: string };
  submission: number;
  stagedSubmission: number;
  withdrawable: number;
  bundle: Uint8Array;
  artifact: string;
  artifactPath: string;
  uploads: { get: string; put: string; complete: string; abort: string };
  helloSha: string;
  page: string;
  editPages: Record<string, string>;
  revertPages: Record<string, string>;
  post: number;
  editablePost: number;
  hidePosts: Record<string, number>;
  flag: number;
  ruleFlags: Record<string, number>;
  claims: Record<string, number>;
  ruling: number;
  runJob: { id: number; leaseToken: string };
  resultJob: { id: number; leaseToken: string };
  cancelJobs: Record<string, number>;
  finishedJob: number;
  privateJob: number;
  /** The private job's verification (pending: its verdict is not decided). */
  verification: number;
  spareRunner: number;
}

const hello = new TextEncoder().encode('hello');

export async function makeFixtures(t: TestServer): Promise<Fixtures> {
  const c = t.collab;
  const P = { collab: c };
  const [observer, alice, bob, organizer, , carol] = await Promise.all([
    t.join('obs', 'observer'), t.join('alice'), t.join('bob'), t.join('orga', 'organizer'), t.join('spare'), t.join('carol'),
  ]);
  const key = (k: AgoraClient) => k.apiKey!;

  // Carol's keys: the first rotated away (revokeCurrent), the second revoked by herself.
  const rotatedTo = await carol.call('rotateKey', { body: { revokeCurrent: true } });
  const carol2 = carol.withKey(rotatedTo.apiKey);
  await carol2.call('revokeKey', { params: { keyId: rotatedTo.keyId } });
  const [spare1, spare2] = [await alice.call('rotateKey', { body: { label: 'spare 1' } }), await alice.call('rotateKey', { body: { label: 'spare 2' } })];

  const runner = await t.admin.call('createRunner', { body: { name: 'matrix-runner', labels: ['cpu'], collaborations: [c] } });
  const spareRunner = await t.admin.call('createRunner', { body: { name: 'spare-runner', labels: ['cpu'], collaborations: [c] } });
  const runnerClient = new AgoraClient({ url: t.url, apiKey: runner.token });
  const invite = await t.admin.call('createInvite', { params: P, body: { role: 'participant', maxUses: 50 } });
  const challengeDir = writeFixtureChallenge(join(t.dataDir, 'matrix-challenge'));
  const open = await t.admin.call('createCollaboration', { body: { challengeDir, slug: 'matrix-open' } });
  await t.admin.call('updateCollaboration', { params: { collab: open.slug }, body: { openRegistration: true } });

  // Submissions: one with a large artifact (the runner's jobArtifact), one staged, one to withdraw.
  const submission = await insertSubmission(t, alice, { title: 'matrix target', artifact: Buffer.from('weights') });
  const [stagedSubmission, withdrawable] = [await insertSubmission(t, alice, { staged: true }), await insertSubmission(t, alice)];
  const detail = await alice.call('getSubmission', { params: { ...P, id: submission } });
  const artifact = detail.artifacts[0]!.sha256;
  const bundle = new Uint8Array(await (await alice.raw(`/v1/collaborations/${c}/submissions/${submission}/bundle`)).arrayBuffer());

  // Two jobs the runner holds (one keeps running, one gets its result), then the ones nobody claims.
  const queue = (who: AgoraClient, submissionId: number, split = 'public') => who.call('createJob', { params: P, body: { submissionId, split } }).then((j) => j.id);
  await queue(alice, submission);
  await queue(alice, submission);
  const claimed = [];
  for (let i = 0; i < 2; i++) {
    const { job } = await runnerClient.call('claimJob', { body: { labels: ['cpu'] } });
    claimed.push({ id: job!.jobId, leaseToken: job!.leaseToken });
  }
  const cancelJobs: Record<string, number> = {};
  for (const who of ['participant', 'organizer', 'admin']) cancelJobs[who] = await queue(alice, submission);
  const finishedJob = await queue(alice, submission);
  await alice.call('cancelJob', { params: { ...P, id: finishedJob }, body: {} });
  const privateJob = await queue(t.admin, submission, 'private');
  const verification = (await t.admin.call('listVerifications', { params: P, query: { submission } })).items[0]!.id;

  // Resumable uploads of Alice's, one per route that acts on one.
  const upload = () => alice.call('createArtifactUpload', { params: P, body: { size: 5 } }).then((u) => u.uploadId);
  const uploads = { get: await upload(), put: await upload(), complete: await upload(), abort: await upload() };
  await alice.raw(`/v1/collaborations/${c}/artifact-uploads/${uploads.complete}?offset=0`, {
    method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: hello,
  }).then((r) => r.arrayBuffer());

  // Pages: one to read, one per editor to edit, one per editor to revert (two revisions each).
  const page = (slug: string) => alice.call('createPage', { params: P, body: { slug, title: slug, category: 'other', body: `${slug}\n` } }).then(() => slug);
  const editors = ['participant', 'other', 'organizer', 'admin'];
  const readPage = await page('matrix-page');
  await alice.call('editPage', { params: { ...P, slug: readPage }, body: { baseRevision: 1, body: 'second revision\n' } });
  const editPages: Record<string, string> = {};
  const revertPages: Record<string, string> = {};
  for (const who of editors) {
    editPages[who] = await page(`edit-${who}`);
    revertPages[who] = await page(`revert-${who}`);
    await alice.call('editPage', { params: { ...P, slug: revertPages[who] }, body: { baseRevision: 1, body: 'to be reverted\n' } });
  }

  // Posts: Alice's to read and edit; Bob's for the two organizers to hide.
  const post = (who: AgoraClient, title: string) => who.call('createPost', { params: P, body: { title, body: `${title} body` } }).then((p) => p.id);
  const [readPost, editablePost] = [await post(alice, 'matrix post'), await post(alice, 'editable post')];
  const hidePosts = { organizer: await post(bob, 'hide me 1'), admin: await post(bob, 'hide me 2') };

  // Flags are Bob's: one to read, one for each organizer to rule on.
  const flag = (target: { submission?: number; post?: number }) =>
    bob.call('createFlag', { params: P, body: { ...target, category: 'other', evidence: 'looks wrong' } }).then((f) => f.id);
  const readFlag = await flag({ submission });
  const ruleFlags = { organizer: await flag({ submission: stagedSubmission }), admin: await flag({ post: readPost }) };
  const ruled = await flag({ submission: withdrawable });
  const ruling = await t.admin.call('createRuling', { params: P, body: { kind: 'dismiss', title: 'Dismissed', text: 'no problem', flags: [ruled] } });

  const claims: Record<string, number> = {};
  for (const who of ['participant', 'organizer', 'admin'])
    claims[who] = (await alice.call('createClaim', { params: P, body: { lever: `matrix-${who}` } })).claim.id;

  return {
    collab: c, openCollab: open.slug, challengeDir,
    keys: {
      observer: key(observer), participant: key(alice), other: key(bob), organizer: key(organizer), admin: key(t.admin),
      revoked: rotatedTo.apiKey, rotated: key(carol), runner: runner.token,
    },
    handles: { participant: 'alice', other: 'bob', spare: 'spare' },
    invite: invite.code,
    spareKeys: { participant: spare1.keyId, admin: spare2.keyId },
    submission, stagedSubmission, withdrawable, bundle, artifact, artifactPath: 'weights/model.bin',
    uploads, helloSha: createHash('sha256').update(hello).digest('hex'),
    page: readPage, editPages, revertPages,
    post: readPost, editablePost, hidePosts,
    flag: readFlag, ruleFlags, claims, ruling: ruling.id,
    runJob: claimed[0]!, resultJob: claimed[1]!, cancelJobs, finishedJob, privateJob, verification,
    spareRunner: spareRunner.runnerId,
  };
}
