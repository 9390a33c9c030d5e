import { createReadStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AgoraError, checkPostRate, fingerprint, pathSetProblems, suggestParents, type RateWindow, type BundleEntry, type SubmissionMeta } from '@agora/core';
import {
  appendEvent,
  collaborationArtifactSizes,
  contentsOfSubmissions,
  existingSubmissionIds,
  insertArtifact,
  insertSubmission,
  lockAndRecentSubmissionTimes,
  lockFingerprintAndFindDuplicate,
  memberIdsByHandle,
  selfAndAncestorIds,
  submissionLabels,
  submissionsSharingContents,
  type Queryable,
} from '@agora/store';
import type { Actor } from '../auth.ts';
import { packCanonical, type BundleLimits } from '../bundles.ts';
import type { CollabAccess, CollabRow } from '../collab.ts';
import type { Services } from '../services.ts';
import { checkUnpacked, rulesOf } from './checks.ts';
import { detailOut, requireSubmission } from './views.ts';

export const limitsOf = (c: CollabRow): BundleLimits => ({
  maxBytes: c.challenge.submission?.max_bytes ?? 50 * 1024 ** 2,
  maxFiles: c.challenge.submission?.max_files ?? 2000,
});

const refs = (ids: number[]) => ids.map((id) => `#s${id}`).join(', ');

/**
 * The whole of a new submission: files into the store, then rows, parents, credits and the
 * `submission.created` event in one transaction. Blobs written before a refused transaction stay
 * in the store unreferenced (content-addressed, harmless; see decision 0051).
 */
export async function createSubmission(
  services: Services,
  a: CollabAccess & { actor: Actor },
  meta: SubmissionMeta,
  load: (dir: string, limits: BundleLimits) => Promise<BundleEntry[] | { files: BundleEntry[]; problems: string[] }>,
) {
  const { db, artifacts, scratch } = services;
  const limits = limitsOf(a.collab);
  const work = await scratch.workDir('sub-');
  try {
    const dir = join(work.path, 'files');
    await mkdir(dir);
    const loaded = await load(dir, limits);
    const { files, problems } = Array.isArray(loaded) ? { files: loaded, problems: [] } : loaded;
    const clash = pathSetProblems([...files.map((f) => f.path), ...meta.artifacts.map((x) => x.path)]).map((p) => `artifact paths clash with the bundle's files: ${p}`);
    // Every problem at once, before anything is stored (decision 0180).
    checkUnpacked(rulesOf(a.collab), dir, files, meta.artifacts.map((x) => x.path), [...problems, ...clash]);
    const bundleFile = join(work.path, 'bundle.tar.gz');
    await packCanonical(dir, files, bundleFile);
    const bundle = await artifacts.put(createReadStream(bundleFile));
    // A few at a time; each file is checked against the hash computed while unpacking, and is also inside the stored bundle.
    for (let i = 0; i < files.length; i += 16)
      await Promise.all(files.slice(i, i + 16).map((f) =>
        artifacts.put(createReadStream(join(dir, f.path)), { expectSha256: f.sha256, durableElsewhere: true })));
    return await db.transaction((tx) => recordSubmission(tx, a, meta, files, bundle));
  } finally {
    await work.dispose();
  }
}

async function recordSubmission(
  tx: Queryable,
  a: CollabAccess & { actor: Actor },
  meta: SubmissionMeta,
  files: BundleEntry[],
  bundle: { sha256: string; size: number },
) {
  const collabId = a.collab.id;
  const me = a.actor.participantId;
  await checkSubmissionRate(tx, collabId, me);

  // Artifact references: uploaded to this collaboration, or refused by name.
  const shas = [...new Set(meta.artifacts.map((x) => x.sha256))];
  const sizeOf = await collaborationArtifactSizes(tx, collabId, shas);
  const missing = shas.filter((s) => !sizeOf.has(s));
  if (missing.length)
    throw new AgoraError('unprocessable', `unknown artifacts (upload them to this collaboration first): ${missing.join(', ')}`, { artifacts: missing });

  // Parents: submissions of this collaboration.
  const foundIds = await existingSubmissionIds(tx, collabId, meta.parents);
  const unknownParents = meta.parents.filter((p) => !foundIds.has(p));
  if (unknownParents.length)
    throw new AgoraError('unprocessable', `unknown parents (not submissions of this collaboration): ${refs(unknownParents)}`, { parents: unknownParents });

  // Credits: members of this collaboration, by handle.
  const handles = [...new Set(meta.credits.map((c) => c.handle))];
  const idOf = await memberIdsByHandle(tx, collabId, handles);
  const unknownHandles = handles.filter((h) => !idOf.has(h));
  if (unknownHandles.length)
    throw new AgoraError('unprocessable', `credited handles are not members of this collaboration: ${unknownHandles.map((h) => `@${h}`).join(', ')}`, { credits: unknownHandles });
  const notes = new Map<string, string>();
  for (const c of meta.credits) if (!notes.has(c.handle) || c.note) notes.set(c.handle, c.note ?? '');

  const artifactEntries: BundleEntry[] = meta.artifacts.map((x) => ({ path: x.path, sha256: x.sha256, size: sizeOf.get(x.sha256)!, executable: false }));
  const entries = [...files, ...artifactEntries];
  const fp = fingerprint(entries);
  const dup = await lockFingerprintAndFindDuplicate(tx, collabId, fp);

  await insertArtifact(tx, { sha256: bundle.sha256, size: bundle.size, mediaType: 'application/gzip', uploadedBy: me });
  const id = await insertSubmission(tx, {
    collaborationId: collabId, authorId: me, title: meta.title, description: meta.description, levers: meta.levers,
    bundleSha256: bundle.sha256, files, totalBytes: files.reduce((n, f) => n + f.size, 0), fingerprint: fp, duplicateOf: dup?.id ?? null,
    artifacts: meta.artifacts, parents: meta.parents, staged: meta.staged,
    credits: handles.map((h) => ({ participantId: idOf.get(h)!, note: notes.get(h) ?? '' })),
  });

  const suggestedParents = await suggestionsFor(tx, collabId, id, me, entries, meta.parents);
  const s = await requireSubmission(tx, collabId, id);
  await appendEvent(tx, {
    collaborationId: collabId, actorId: me, type: 'submission.created', subject: `#s${id}`,
    payload: {
      id, title: s.title, author: s.author, parents: meta.parents, levers: meta.levers, credits: handles, fingerprint: fp,
      duplicateOf: dup?.id ?? null, staged: meta.staged, suggestedParents: suggestedParents.map((p) => p.id),
    },
  });
  return { submission: await detailOut(tx, s), duplicateOf: dup ?? null, suggestedParents };
}

/**
 * A flood of submissions (issue 12: 40 in one burst) fills the store and every reader's list: at
 * most SUBMISSION_RATE_LIMITS per author and collaboration, refused with 429 and when to retry.
 */
export const SUBMISSION_RATE_LIMITS: readonly RateWindow[] = [
  { max: 30, seconds: 60 },
  { max: 300, seconds: 3600 },
];

async function checkSubmissionRate(tx: Queryable, collabId: number, authorId: number): Promise<void> {
  const { now, times } = await lockAndRecentSubmissionTimes(tx, collabId, authorId);
  const d = checkPostRate(times, now, SUBMISSION_RATE_LIMITS);
  if (!d.nextAllowedAt) return;
  const retryAfterSeconds = Math.max(1, Math.ceil((d.nextAllowedAt.getTime() - now.getTime()) / 1000));
  throw new AgoraError(
    'rate_limited',
    `submitting too fast: at most ${d.window!.max} submissions in ${d.window!.seconds === 60 ? 'a minute' : 'an hour'}; the next is allowed at ${d.nextAllowedAt.toISOString()} (in ${retryAfterSeconds} s)`,
    { nextAllowedAt: d.nextAllowedAt.toISOString(), retryAfterSeconds, limit: { max: d.window!.max, seconds: d.window!.seconds } },
  );
}

/** Earlier submissions by others sharing most contents with this one, leaving out declared parents and their ancestors. */
async function suggestionsFor(tx: Queryable, collabId: number, id: number, authorId: number, entries: BundleEntry[], parents: number[]) {
  const shas = [...new Set(entries.filter((e) => e.size > 0).map((e) => e.sha256))];
  if (!shas.length) return [];
  const excluded = await selfAndAncestorIds(tx, parents);
  // Candidates sharing the most contents first; the exact similarity is computed on their whole file lists.
  const cands = await submissionsSharingContents(tx, collabId, id, authorId, shas);
  if (!cands.length) return [];
  const filesOf = await contentsOfSubmissions(tx, cands.map((c) => c.id));
  const ranked = suggestParents(entries, authorId, cands.map((c) => ({ id: c.id, authorId: c.author_id, files: filesOf.get(c.id) ?? [] })), excluded);
  if (!ranked.length) return [];
  const labels = await submissionLabels(tx, ranked.map((x) => x.id));
  return ranked.map((x) => ({ ...x, title: labels.get(x.id)!.title, author: labels.get(x.id)!.author }));
}
