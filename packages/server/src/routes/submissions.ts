import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AgoraError,
  diffFileLists,
  diffLines,
  fingerprint,
  formatUnified,
  looksLikeText,
  pathSetProblems,
  submissionRoutes as r,
  suggestParents,
  type BundleEntry,
  type SubmissionMeta,
} from '@agora/core';
import { appendEvent, type Queryable } from '@agora/store';
import type { Context, Hono } from 'hono';
import type { ArtifactStore } from '../artifacts.ts';
import type { Actor } from '../auth.ts';
import { packCanonical, saveBody, unpackTarGz, writeInlineFiles, type BundleLimits } from '../bundles.ts';
import { access, accessAs, isoReq, type CollabAccess, type CollabRow } from '../collab.ts';
import { streamResponse } from '../downloads.ts';
import { mount, type AppEnv } from '../mount.ts';
import type { Services } from '../services.ts';

/** One request body of uploadArtifact; bigger artifacts go through resumable uploads. */
export const ONE_SHOT_ARTIFACT_MAX = 100 * 1024 * 1024;
/** Unfinished resumable uploads one participant may hold at once. */
export const OPEN_UPLOADS_MAX = 8;
/** Text diffs: files over this are not diffed line by line, and one answer carries at most DIFF_TOTAL_MAX of diff text. */
export const DIFF_FILE_MAX = 256 * 1024;
export const DIFF_TOTAL_MAX = 2 * 1024 * 1024;
const GZIP_TYPES = /^application\/(gzip|x-gzip|x-tar\+gzip|octet-stream)\b/i;

interface SubmissionRow {
  id: number;
  collaboration_id: number;
  author_id: number;
  author: string;
  title: string;
  description: string;
  levers: string[];
  parents: number[];
  bundle_sha256: string;
  file_count: number;
  total_bytes: number;
  fingerprint: string;
  duplicate_of: number | null;
  staged: boolean;
  invalidated_at: Date | null;
  invalidated_reason: string | null;
  created_at: Date;
}

const SUMMARY_SELECT = `select s.*, p.handle as author,
  coalesce((select array_agg(sp.parent_id order by sp.parent_id) from submission_parents sp where sp.submission_id = s.id), '{}') as parents
  from submissions s join participants p on p.id = s.author_id`;

const summaryOut = (s: SubmissionRow) => ({
  id: s.id, ref: `#s${s.id}`, author: s.author, title: s.title, levers: s.levers, parents: s.parents.map(Number),
  fingerprint: s.fingerprint, duplicateOf: s.duplicate_of, bundleSha256: s.bundle_sha256, fileCount: s.file_count,
  totalBytes: Number(s.total_bytes), staged: s.staged,
  invalidated: s.invalidated_at ? { at: isoReq(s.invalidated_at), reason: s.invalidated_reason } : null,
  createdAt: isoReq(s.created_at),
});

const limitsOf = (c: CollabRow): BundleLimits => ({
  maxBytes: c.challenge.submission?.max_bytes ?? 50 * 1024 ** 2,
  maxFiles: c.challenge.submission?.max_files ?? 2000,
});

async function findSubmission(db: Queryable, collabId: number, id: number): Promise<SubmissionRow> {
  const [s] = await db.query<SubmissionRow>(`${SUMMARY_SELECT} where s.collaboration_id = $1 and s.id = $2`, [collabId, id]);
  if (!s) throw new AgoraError('not_found', `submission #s${id} not found in this collaboration`, { id });
  return s;
}

/** Files of the bundle plus large artifacts placed at paths: the submission's effective content. */
async function entriesOf(db: Queryable, id: number): Promise<{ files: BundleEntry[]; artifactPaths: Set<string> }> {
  const files = await db.query<BundleEntry>(
    `select path, sha256, size_bytes as size, executable from submission_files where submission_id = $1 order by path`, [id]);
  const arts = await db.query<BundleEntry>(
    `select sa.path, sa.sha256, a.size_bytes as size, false as executable from submission_artifacts sa
     join artifacts a on a.sha256 = sa.sha256 where sa.submission_id = $1 order by sa.path`, [id]);
  return { files: [...files, ...arts].map((f) => ({ ...f, size: Number(f.size) })), artifactPaths: new Set(arts.map((a) => a.path)) };
}

async function detailOut(db: Queryable, s: SubmissionRow) {
  const files = await db.query<{ path: string; sha256: string; size: number; executable: boolean }>(
    `select path, sha256, size_bytes as size, executable from submission_files where submission_id = $1 order by path`, [s.id]);
  const artifacts = await db.query<{ path: string; sha256: string; size: number }>(
    `select sa.path, sa.sha256, a.size_bytes as size from submission_artifacts sa join artifacts a on a.sha256 = sa.sha256
     where sa.submission_id = $1 order by sa.path`, [s.id]);
  const credits = await db.query<{ handle: string; note: string }>(
    `select p.handle, c.note from submission_credits c join participants p on p.id = c.participant_id
     where c.submission_id = $1 order by p.handle`, [s.id]);
  const children = await db.query<{ id: number }>(
    'select submission_id as id from submission_parents where parent_id = $1 order by submission_id', [s.id]);
  return {
    ...summaryOut(s),
    description: s.description,
    credits,
    files: files.map((f) => ({ ...f, size: Number(f.size) })),
    artifacts: artifacts.map((a) => ({ ...a, size: Number(a.size) })),
    children: children.map((c) => c.id),
  };
}

const refs = (ids: number[]) => ids.map((id) => `#s${id}`).join(', ');

/**
 * The whole of a new submission: files into the store, then rows, parents, credits and the
 * `submission.created` event in one transaction. Blobs written before a refused transaction stay
 * in the store unreferenced (content-addressed, harmless; see decision 0051).
 */
async function createSubmission(
  services: Services,
  a: CollabAccess & { actor: Actor },
  meta: SubmissionMeta,
  load: (dir: string, limits: BundleLimits) => Promise<BundleEntry[]>,
) {
  const { db, artifacts } = services;
  const limits = limitsOf(a.collab);
  const work = await artifacts.workDir('sub-');
  try {
    const dir = join(work.path, 'files');
    await mkdir(dir);
    const files = await load(dir, limits);
    const clash = pathSetProblems([...files.map((f) => f.path), ...meta.artifacts.map((x) => x.path)]);
    if (clash.length) throw new AgoraError('unprocessable', `artifact paths clash with the bundle's files: ${clash[0]}`, { problems: clash.slice(0, 20) });
    const bundleFile = join(work.path, 'bundle.tar.gz');
    await packCanonical(dir, files, bundleFile);
    const bundle = await artifacts.putFile(bundleFile, { move: true });
    // The hashes were computed here while unpacking: the files move in without a second read, a few at a time.
    for (let i = 0; i < files.length; i += 16)
      await Promise.all(files.slice(i, i + 16).map((f) => artifacts.putFile(join(dir, f.path), { move: true, known: f })));
    return await db.transaction((tx) => insertSubmission(tx, a, meta, files, bundle));
  } finally {
    await work.dispose();
  }
}

async function insertSubmission(
  tx: Queryable,
  a: CollabAccess & { actor: Actor },
  meta: SubmissionMeta,
  files: BundleEntry[],
  bundle: { sha256: string; size: number },
) {
  const collabId = a.collab.id;
  const me = a.actor.participantId;

  // Artifact references: uploaded to this collaboration, or refused by name.
  const shas = [...new Set(meta.artifacts.map((x) => x.sha256))];
  const known = shas.length
    ? await tx.query<{ sha256: string; size: number }>(
        `select a.sha256, a.size_bytes as size from collaboration_artifacts ca join artifacts a on a.sha256 = ca.sha256
         where ca.collaboration_id = $1 and ca.sha256 = any($2::text[])`, [collabId, shas])
    : [];
  const sizeOf = new Map(known.map((k) => [k.sha256, Number(k.size)]));
  const missing = shas.filter((s) => !sizeOf.has(s));
  if (missing.length)
    throw new AgoraError('unprocessable', `unknown artifacts (upload them to this collaboration first): ${missing.join(', ')}`, { artifacts: missing });

  // Parents: submissions of this collaboration.
  const found = meta.parents.length
    ? await tx.query<{ id: number }>('select id from submissions where collaboration_id = $1 and id = any($2::int[])', [collabId, meta.parents])
    : [];
  const foundIds = new Set(found.map((p) => p.id));
  const unknownParents = meta.parents.filter((p) => !foundIds.has(p));
  if (unknownParents.length)
    throw new AgoraError('unprocessable', `unknown parents (not submissions of this collaboration): ${refs(unknownParents)}`, { parents: unknownParents });

  // Credits: members of this collaboration, by handle.
  const handles = [...new Set(meta.credits.map((c) => c.handle))];
  const members = handles.length
    ? await tx.query<{ id: number; handle: string }>(
        `select p.id, p.handle from participants p join memberships m on m.participant_id = p.id
         where m.collaboration_id = $1 and p.handle = any($2::text[])`, [collabId, handles])
    : [];
  const idOf = new Map(members.map((m) => [m.handle, m.id]));
  const unknownHandles = handles.filter((h) => !idOf.has(h));
  if (unknownHandles.length)
    throw new AgoraError('unprocessable', `credited handles are not members of this collaboration: ${unknownHandles.map((h) => `@${h}`).join(', ')}`, { credits: unknownHandles });
  const notes = new Map<string, string>();
  for (const c of meta.credits) if (!notes.has(c.handle) || c.note) notes.set(c.handle, c.note ?? '');

  const artifactEntries: BundleEntry[] = meta.artifacts.map((x) => ({ path: x.path, sha256: x.sha256, size: sizeOf.get(x.sha256)!, executable: false }));
  const entries = [...files, ...artifactEntries];
  const fp = fingerprint(entries);
  // Two identical bundles arriving together: the second waits, then sees the first as what it duplicates.
  await tx.query('select pg_advisory_xact_lock(4242051, hashtext($1))', [fp]);
  const [dup] = await tx.query<{ id: number; title: string; author: string }>(
    `select s.id, s.title, p.handle as author from submissions s join participants p on p.id = s.author_id
     where s.collaboration_id = $1 and s.fingerprint = $2 order by s.id limit 1`, [collabId, fp]);

  await tx.query(
    `insert into artifacts (sha256, size_bytes, media_type, uploaded_by) values ($1, $2, 'application/gzip', $3) on conflict (sha256) do nothing`,
    [bundle.sha256, bundle.size, me]);
  const totalBytes = files.reduce((n, f) => n + f.size, 0);
  const [row] = await tx.query<{ id: number }>(
    `insert into submissions (collaboration_id, author_id, title, description, levers, bundle_sha256, file_count, total_bytes,
       fingerprint, duplicate_of, artifact_refs, staged)
     values ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10, $11::text[], $12) returning id`,
    [collabId, me, meta.title, meta.description, meta.levers, bundle.sha256, files.length, totalBytes, fp, dup?.id ?? null,
      meta.artifacts.map((x) => x.sha256), meta.staged]);
  const id = row!.id;
  await tx.query(
    `insert into submission_files (submission_id, path, sha256, size_bytes, executable)
     select $1, * from unnest($2::text[], $3::text[], $4::bigint[], $5::boolean[])`,
    [id, files.map((f) => f.path), files.map((f) => f.sha256), files.map((f) => f.size), files.map((f) => f.executable)]);
  if (meta.artifacts.length)
    await tx.query(
      `insert into submission_artifacts (submission_id, path, sha256) select $1, * from unnest($2::text[], $3::text[])`,
      [id, meta.artifacts.map((x) => x.path), meta.artifacts.map((x) => x.sha256)]);
  if (meta.parents.length)
    await tx.query('insert into submission_parents (submission_id, parent_id) select $1, unnest($2::int[])', [id, meta.parents]);
  if (handles.length)
    await tx.query(
      'insert into submission_credits (submission_id, participant_id, note) select $1, * from unnest($2::int[], $3::text[])',
      [id, handles.map((h) => idOf.get(h)!), handles.map((h) => notes.get(h) ?? '')]);

  const suggestedParents = await suggestionsFor(tx, collabId, id, me, entries, meta.parents);
  const s = await findSubmission(tx, collabId, id);
  await appendEvent(tx, {
    collaborationId: collabId, actorId: me, type: 'submission.created', subject: `#s${id}`,
    payload: {
      id, title: s.title, author: s.author, parents: meta.parents, levers: meta.levers, credits: handles, fingerprint: fp,
      duplicateOf: dup?.id ?? null, staged: meta.staged, suggestedParents: suggestedParents.map((p) => p.id),
    },
  });
  return { submission: await detailOut(tx, s), duplicateOf: dup ?? null, suggestedParents };
}

/** Earlier submissions by others sharing most contents with this one, leaving out declared parents and their ancestors. */
async function suggestionsFor(tx: Queryable, collabId: number, id: number, authorId: number, entries: BundleEntry[], parents: number[]) {
  const shas = [...new Set(entries.filter((e) => e.size > 0).map((e) => e.sha256))];
  if (!shas.length) return [];
  const excluded = parents.length
    ? await tx.query<{ id: number }>(
        `with recursive anc(id) as (select unnest($1::int[]) union select sp.parent_id from submission_parents sp join anc on sp.submission_id = anc.id)
         select id from anc`, [parents])
    : [];
  // Candidates sharing the most contents first; the exact similarity is computed on their whole file lists.
  const cands = await tx.query<{ id: number; author_id: number }>(
    `select s.id, s.author_id from submission_files f join submissions s on s.id = f.submission_id
     where s.collaboration_id = $1 and s.id <> $2 and s.author_id <> $3 and f.size_bytes > 0 and f.sha256 = any($4::text[])
     group by s.id, s.author_id order by count(distinct f.sha256) desc, s.id limit 50`, [collabId, id, authorId, shas]);
  if (!cands.length) return [];
  const rows = await tx.query<{ submission_id: number; sha256: string; size: number }>(
    `select submission_id, sha256, size_bytes as size from submission_files where submission_id = any($1::int[])
     union all select sa.submission_id, sa.sha256, a.size_bytes from submission_artifacts sa join artifacts a on a.sha256 = sa.sha256
     where sa.submission_id = any($1::int[])`, [cands.map((c) => c.id)]);
  const filesOf = new Map<number, { sha256: string; size: number }[]>();
  for (const r of rows) filesOf.set(r.submission_id, [...(filesOf.get(r.submission_id) ?? []), { sha256: r.sha256, size: Number(r.size) }]);
  const ranked = suggestParents(entries, authorId, cands.map((c) => ({ id: c.id, authorId: c.author_id, files: filesOf.get(c.id) ?? [] })), new Set(excluded.map((e) => e.id)));
  if (!ranked.length) return [];
  const info = await tx.query<{ id: number; title: string; author: string }>(
    'select s.id, s.title, p.handle as author from submissions s join participants p on p.id = s.author_id where s.id = any($1::int[])',
    [ranked.map((x) => x.id)]);
  const byId = new Map(info.map((i) => [i.id, i]));
  return ranked.map((x) => ({ ...x, title: byId.get(x.id)!.title, author: byId.get(x.id)!.author }));
}

/** Text diffs per changed file, within the size budget. */
async function diffAgainst(store: ArtifactStore, db: Queryable, base: SubmissionRow, other: number, context: number, budget: { left: number }) {
  const mine = await entriesOf(db, base.id);
  const theirs = await entriesOf(db, other);
  const d = diffFileLists(theirs.files, mine.files);
  const files = [];
  for (const c of d.changes) {
    const oldE = c.status === 'added' ? null : c.old;
    const newE = c.status === 'removed' ? null : c.new;
    const isArtifact = (oldE && theirs.artifactPaths.has(oldE.path)) || (newE && mine.artifactPaths.has(newE.path));
    const out = {
      path: c.path, status: c.status, oldPath: c.status === 'renamed' ? c.oldPath : null,
      oldSha256: oldE?.sha256 ?? null, newSha256: newE?.sha256 ?? null, oldSize: oldE?.size ?? null, newSize: newE?.size ?? null,
      binary: Boolean(isArtifact), added: 0, removed: 0, unified: null as string | null, truncated: false,
    };
    files.push(out);
    if (isArtifact || c.status === 'renamed' || (oldE && newE && oldE.sha256 === newE.sha256)) continue;
    if ((oldE?.size ?? 0) > DIFF_FILE_MAX || (newE?.size ?? 0) > DIFF_FILE_MAX || budget.left <= 0) {
      out.truncated = true;
      continue;
    }
    const oldBytes = oldE ? await store.read(oldE.sha256, DIFF_FILE_MAX) : Buffer.alloc(0);
    const newBytes = newE ? await store.read(newE.sha256, DIFF_FILE_MAX) : Buffer.alloc(0);
    if (!looksLikeText(oldBytes) || !looksLikeText(newBytes)) {
      out.binary = true;
      continue;
    }
    const ld = diffLines(oldBytes.toString('utf8'), newBytes.toString('utf8'), { context });
    out.added = ld.added;
    out.removed = ld.removed;
    const text = formatUnified(ld, oldE ? `a/${oldE.path}` : '/dev/null', newE ? `b/${c.path}` : '/dev/null');
    if (text.length > budget.left) out.truncated = true;
    else {
      out.unified = text;
      budget.left -= text.length;
    }
  }
  return { against: other, added: d.added, removed: d.removed, modified: d.modified, renamed: d.renamed, unchanged: d.unchanged, files };
}

function declaredLength(c: Context<AppEnv>, limit: number, what: string): void {
  const declared = Number(c.req.header('content-length') ?? '0');
  if (declared > limit) throw new AgoraError('payload_too_large', `${what} is over the limit of ${limit} bytes`, { limit });
}

const bodyOf = (c: Context<AppEnv>) => (c.req.raw.body ?? new Uint8Array(0)) as ReadableStream<Uint8Array> | Uint8Array;


interface ArtifactRow { sha256: string; size_bytes: number; media_type: string; uploaded_by: string | null; created_at: Date }
const artifactOut = (x: ArtifactRow) => ({
  sha256: x.sha256, size: Number(x.size_bytes), mediaType: x.media_type, uploadedBy: x.uploaded_by, createdAt: isoReq(x.created_at),
});

/** Registers an artifact now in the store with this collaboration (idempotent); the event only when it is new here. */
async function registerArtifact(tx: Queryable, collabId: number, actorId: number, sha256: string, size: number, mediaType: string): Promise<ArtifactRow> {
  await tx.query(
    'insert into artifacts (sha256, size_bytes, media_type, uploaded_by) values ($1, $2, $3, $4) on conflict (sha256) do nothing',
    [sha256, size, mediaType, actorId]);
  const added = await tx.query(
    'insert into collaboration_artifacts (collaboration_id, sha256, uploaded_by) values ($1, $2, $3) on conflict do nothing returning sha256',
    [collabId, sha256, actorId]);
  if (added.length)
    await appendEvent(tx, { collaborationId: collabId, actorId, type: 'artifact.uploaded', subject: sha256, payload: { sha256, size, mediaType } });
  return (await findArtifact(tx, collabId, sha256))!;
}

async function findArtifact(db: Queryable, collabId: number, sha256: string): Promise<ArtifactRow | undefined> {
  const [x] = await db.query<ArtifactRow>(
    `select a.sha256, a.size_bytes, a.media_type, p.handle as uploaded_by, ca.created_at from collaboration_artifacts ca
     join artifacts a on a.sha256 = ca.sha256 left join participants p on p.id = ca.uploaded_by
     where ca.collaboration_id = $1 and ca.sha256 = $2`, [collabId, sha256]);
  return x;
}

interface UploadRow { id: string; participant_id: number; media_type: string; max_bytes: number; completed_sha256: string | null; created_at: Date }

async function myUpload(db: Queryable, collabId: number, actor: Actor, uploadId: string): Promise<UploadRow> {
  const [u] = await db.query<UploadRow>(
    'select * from artifact_uploads where id = $1 and collaboration_id = $2 and participant_id = $3', [uploadId, collabId, actor.participantId]);
  // Someone else's upload reads as absent: upload ids are capabilities, not to be probed.
  if (!u) throw new AgoraError('not_found', `upload ${uploadId} not found among your uploads`);
  if (u.completed_sha256) throw new AgoraError('conflict', `upload ${uploadId} is complete: artifact ${u.completed_sha256}`, { sha256: u.completed_sha256 });
  return u;
}

const uploadOut = (u: UploadRow, received: number) => ({
  uploadId: u.id, received, maxBytes: Number(u.max_bytes), mediaType: u.media_type, createdAt: isoReq(u.created_at),
});

export function mountSubmissions(app: Hono<AppEnv>) {
  mount(app, r.createSubmission, async ({ actor, params, body, services }) => {
    const a = await accessAs(services.db, params.collab, actor, 'participant');
    const { files, bundle, ...meta } = body;
    return createSubmission(services, a, meta, async (dir, limits) => {
      if (files) return writeInlineFiles(dir, files, limits);
      if (!(await findArtifact(services.db, a.collab.id, bundle!)))
        throw new AgoraError('unprocessable', `bundle ${bundle} is not an artifact of this collaboration: upload the tar.gz first (uploadArtifact)`, { bundle });
      return unpackTarGz(services.artifacts.path(bundle!), dir, limits);
    });
  });

  mount(app, r.uploadSubmission, async ({ actor, params, query, services, c }) => {
    const a = await accessAs(services.db, params.collab, actor, 'participant');
    if (!GZIP_TYPES.test(c.req.header('content-type') ?? ''))
      throw new AgoraError('unsupported_media_type', 'send the bundle as a tar.gz body with content-type: application/gzip');
    const limits = limitsOf(a.collab);
    declaredLength(c, limits.maxBytes, 'the bundle');
    const work = await services.artifacts.workDir('upl-');
    try {
      const archive = join(work.path, 'upload.tar.gz');
      await saveBody(bodyOf(c), archive, limits.maxBytes);
      const meta: SubmissionMeta = {
        title: query.title, description: query.description, parents: [...new Set(query.parents)], levers: [...new Set(query.levers)],
        credits: query.credits.map((handle) => ({ handle })), artifacts: [], staged: query.staged,
      };
      return await createSubmission(services, a, meta, (dir, l) => unpackTarGz(archive, dir, l));
    } finally {
      await work.dispose();
    }
  });

  mount(app, r.listSubmissions, async ({ actor, params, query, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    let before: number | null = null;
    if (query.cursor) {
      const decoded = Buffer.from(query.cursor, 'base64url').toString('utf8');
      if (!/^s\d{1,10}$/.test(decoded)) throw new AgoraError('validation_failed', 'invalid cursor: pass back nextCursor as given');
      before = Number(decoded.slice(1));
    }
    const rows = await db.query<SubmissionRow>(
      `${SUMMARY_SELECT} where s.collaboration_id = $1
         and ($2::int is null or s.id < $2) and ($3::text is null or p.handle = $3) and ($4::text is null or $4 = any(s.levers))
         and ($5::int is null or exists (select 1 from submission_parents sp where sp.submission_id = s.id and sp.parent_id = $5))
         and ($6::boolean is null or s.staged = $6)
       order by s.id desc limit $7`,
      [a.collab.id, before, query.author ?? null, query.lever ?? null, query.parent ?? null, query.staged ?? null, query.limit + 1]);
    const page = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? Buffer.from(`s${page.at(-1)!.id}`).toString('base64url') : null;
    return { items: page.map(summaryOut), nextCursor };
  });

  mount(app, r.getSubmission, async ({ actor, params, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    return detailOut(db, await findSubmission(db, a.collab.id, params.id));
  });

  mount(app, r.downloadBundle, async ({ actor, params, services: { db, artifacts } }) => {
    const a = await access(db, params.collab, actor);
    const s = await findSubmission(db, a.collab.id, params.id);
    const size = await artifacts.size(s.bundle_sha256);
    if (size === null) throw new AgoraError('gone', `the bundle of #s${s.id} is missing from the artifact store`, { sha256: s.bundle_sha256 });
    return streamResponse(await artifacts.open(s.bundle_sha256), {
      'content-type': 'application/gzip', 'content-length': String(size), etag: `"${s.bundle_sha256}"`,
      'content-disposition': `attachment; filename="${a.collab.slug}-s${s.id}.tar.gz"`,
    });
  });

  mount(app, r.getSubmissionFile, async ({ actor, params, query, services: { db, artifacts } }) => {
    const a = await access(db, params.collab, actor);
    const s = await findSubmission(db, a.collab.id, params.id);
    const [f] = await db.query<{ sha256: string; size_bytes: number }>(
      'select sha256, size_bytes from submission_files where submission_id = $1 and path = $2', [s.id, query.path]);
    if (!f) {
      const [art] = await db.query<{ sha256: string }>('select sha256 from submission_artifacts where submission_id = $1 and path = $2', [s.id, query.path]);
      if (art) throw new AgoraError('not_found', `${query.path} is a large artifact: download it from .../artifacts/${art.sha256}/content`, { artifact: art.sha256 });
      throw new AgoraError('not_found', `#s${s.id} has no file ${JSON.stringify(query.path)}`);
    }
    const size = Number(f.size_bytes);
    const text = size <= DIFF_FILE_MAX && looksLikeText(await artifacts.read(f.sha256, DIFF_FILE_MAX));
    return streamResponse(await artifacts.open(f.sha256), {
      'content-type': text ? 'text/plain; charset=utf-8' : 'application/octet-stream', 'content-length': String(size), etag: `"${f.sha256}"`,
      ...(text ? {} : { 'content-disposition': 'attachment' }),
    });
  });

  mount(app, r.diffSubmission, async ({ actor, params, query, services: { db, artifacts } }) => {
    const a = await access(db, params.collab, actor);
    const s = await findSubmission(db, a.collab.id, params.id);
    let against = s.parents.map(Number);
    if (query.against !== undefined) {
      const [o] = await db.query<{ id: number }>('select id from submissions where collaboration_id = $1 and id = $2', [a.collab.id, query.against]);
      if (!o) throw new AgoraError('unprocessable', `#s${query.against} is not a submission of this collaboration`, { against: query.against });
      against = [o.id];
    }
    const budget = { left: DIFF_TOTAL_MAX };
    const items = [];
    for (const other of against) items.push(await diffAgainst(artifacts, db, s, other, query.context, budget));
    return { submission: s.id, items };
  });

  mount(app, r.setSubmissionStaged, async ({ actor, params, body, services: { db } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    return db.transaction(async (tx) => {
      const [cur] = await tx.query<{ author_id: number; staged: boolean; invalidated_at: Date | null }>(
        'select author_id, staged, invalidated_at from submissions where collaboration_id = $1 and id = $2 for update', [a.collab.id, params.id]);
      if (!cur) throw new AgoraError('not_found', `submission #s${params.id} not found in this collaboration`);
      if (cur.author_id !== a.actor.participantId) throw new AgoraError('forbidden', `only the author stages or unstages #s${params.id}`);
      if (body.staged && cur.invalidated_at) throw new AgoraError('conflict', `#s${params.id} was invalidated and cannot be staged`);
      if (cur.staged !== body.staged) {
        await tx.query('update submissions set staged = $2 where id = $1', [params.id, body.staged]);
        await appendEvent(tx, {
          collaborationId: a.collab.id, actorId: a.actor.participantId, type: body.staged ? 'submission.staged' : 'submission.unstaged',
          subject: `#s${params.id}`, payload: { id: params.id, staged: body.staged },
        });
      }
      return summaryOut(await findSubmission(tx, a.collab.id, params.id));
    });
  });

  // ---- artifacts ----

  mount(app, r.uploadArtifact, async ({ actor, params, query, services: { db, artifacts }, c }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const limit = Math.min(ONE_SHOT_ARTIFACT_MAX, artifacts.maxArtifactBytes);
    declaredLength(c, limit, 'the artifact (use resumable uploads for large ones)');
    const put = await artifacts.put(bodyOf(c), { maxBytes: limit });
    const row = await db.transaction((tx) => registerArtifact(tx, a.collab.id, a.actor.participantId, put.sha256, put.size, query.mediaType));
    return artifactOut(row);
  });

  mount(app, r.createArtifactUpload, async ({ actor, params, body, services: { db, artifacts } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    if (body.size !== undefined && body.size > artifacts.maxArtifactBytes)
      throw new AgoraError('payload_too_large', `an artifact is at most ${artifacts.maxArtifactBytes} bytes`, { limit: artifacts.maxArtifactBytes });
    return db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock(4242050, $1)', [a.actor.participantId]);
      const [open] = await tx.query<{ n: number }>(
        'select count(*)::int as n from artifact_uploads where participant_id = $1 and completed_sha256 is null', [a.actor.participantId]);
      if (open!.n >= OPEN_UPLOADS_MAX)
        throw new AgoraError('quota_exceeded', `you have ${open!.n} unfinished uploads; complete or abort one first`, { limit: OPEN_UPLOADS_MAX });
      const id = await artifacts.createUpload();
      const [u] = await tx.query<UploadRow>(
        `insert into artifact_uploads (id, collaboration_id, participant_id, media_type, max_bytes) values ($1, $2, $3, $4, $5) returning *`,
        [id, a.collab.id, a.actor.participantId, body.mediaType, body.size ?? artifacts.maxArtifactBytes]);
      await appendEvent(tx, { collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'artifact.upload_started', subject: id, payload: { uploadId: id, size: body.size ?? null } });
      return uploadOut(u!, 0);
    });
  });

  mount(app, r.getArtifactUpload, async ({ actor, params, services: { db, artifacts } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const u = await myUpload(db, a.collab.id, a.actor, params.uploadId);
    return uploadOut(u, await artifacts.uploadReceived(u.id));
  });

  mount(app, r.putArtifactUploadChunk, async ({ actor, params, query, services: { db, artifacts }, c }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const u = await myUpload(db, a.collab.id, a.actor, params.uploadId);
    let offset = query.offset;
    const range = c.req.header('content-range');
    if (range !== undefined) {
      const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/.exec(range.trim());
      if (!m || Number(m[2]) < Number(m[1])) throw new AgoraError('validation_failed', 'Content-Range must read "bytes START-END/TOTAL" (or /*)');
      if (offset !== undefined && offset !== Number(m[1])) throw new AgoraError('validation_failed', 'offset and Content-Range disagree');
      offset = Number(m[1]);
    }
    if (offset === undefined) throw new AgoraError('validation_failed', 'say where the chunk starts: ?offset=N or Content-Range: bytes START-END/TOTAL');
    declaredLength(c, Number(u.max_bytes) - offset, 'the chunk');
    const received = await artifacts.appendUpload(u.id, offset, bodyOf(c), { maxBytes: Number(u.max_bytes) });
    return uploadOut(u, received);
  });

  mount(app, r.completeArtifactUpload, async ({ actor, params, body, services: { db, artifacts } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const u = await myUpload(db, a.collab.id, a.actor, params.uploadId);
    const put = await artifacts.completeUpload(u.id, body.sha256);
    const row = await db.transaction(async (tx) => {
      const x = await registerArtifact(tx, a.collab.id, a.actor.participantId, put.sha256, put.size, u.media_type);
      await tx.query('update artifact_uploads set completed_sha256 = $2 where id = $1', [u.id, put.sha256]);
      return x;
    });
    return artifactOut(row);
  });

  mount(app, r.abortArtifactUpload, async ({ actor, params, services: { db, artifacts } }) => {
    const a = await accessAs(db, params.collab, actor, 'participant');
    const u = await myUpload(db, a.collab.id, a.actor, params.uploadId);
    await db.transaction(async (tx) => {
      await tx.query('delete from artifact_uploads where id = $1', [u.id]);
      await appendEvent(tx, { collaborationId: a.collab.id, actorId: a.actor.participantId, type: 'artifact.upload_aborted', subject: u.id, payload: { uploadId: u.id } });
    });
    await artifacts.abortUpload(u.id);
    return { ok: true as const };
  });

  mount(app, r.getArtifact, async ({ actor, params, services: { db } }) => {
    const a = await access(db, params.collab, actor);
    const x = await findArtifact(db, a.collab.id, params.sha256);
    if (!x) throw new AgoraError('not_found', `artifact ${params.sha256} not found in this collaboration`);
    return artifactOut(x);
  });

  mount(app, r.downloadArtifact, async ({ actor, params, services: { db, artifacts }, c }) => {
    const a = await access(db, params.collab, actor);
    const x = await findArtifact(db, a.collab.id, params.sha256);
    if (!x) throw new AgoraError('not_found', `artifact ${params.sha256} not found in this collaboration`);
    const size = Number(x.size_bytes);
    const headers = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes', etag: `"${x.sha256}"`, 'content-disposition': 'attachment' };
    const range = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(c.req.header('range')?.trim() ?? '');
    if (range && (range[1] || range[2])) {
      const start = range[1] ? Number(range[1]) : Math.max(0, size - Number(range[2]));
      const end = range[1] && range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start > end || start >= size)
        return new Response(null, { status: 416, headers: { 'content-range': `bytes */${size}` } });
      return streamResponse(await artifacts.open(x.sha256, { start, end }), {
        ...headers, 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${size}`,
      }, 206);
    }
    return streamResponse(await artifacts.open(x.sha256), { ...headers, 'content-length': String(size) });
  });
}
