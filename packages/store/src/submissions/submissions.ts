import type { Queryable } from '../db.ts';
import type { ContentRow, SubmissionLabelRow, SubmissionRow } from './rows.ts';

/** Submission rows with the author's handle and the declared parents. */
const SUMMARY_SELECT = `select s.*, p.handle as author,
  coalesce((select array_agg(sp.parent_id order by sp.parent_id) from submission_parents sp where sp.submission_id = s.id), '{}') as parents
  from submissions s join participants p on p.id = s.author_id`;

const withNumbers = (s: SubmissionRow): SubmissionRow => ({ ...s, parents: s.parents.map(Number), total_bytes: Number(s.total_bytes) });

export async function findSubmission(db: Queryable, collabId: number, id: number): Promise<SubmissionRow | undefined> {
  const [s] = await db.query<SubmissionRow>(`${SUMMARY_SELECT} where s.collaboration_id = $1 and s.id = $2`, [collabId, id]);
  return s && withNumbers(s);
}

export interface SubmissionFilter {
  /** Only ids below this one (the page cursor). */
  beforeId: number | null;
  author?: string | undefined;
  lever?: string | undefined;
  parent?: number | undefined;
  staged?: boolean | undefined;
  limit: number;
}

/** Newest first. */
export async function listSubmissionRows(db: Queryable, collabId: number, f: SubmissionFilter): Promise<SubmissionRow[]> {
  const rows = await db.query<SubmissionRow>(
    `${SUMMARY_SELECT} where s.collaboration_id = $1
       and ($2::int is null or s.id < $2) and ($3::text is null or p.handle = $3) and ($4::text is null or $4 = any(s.levers))
       and ($5::int is null or exists (select 1 from submission_parents sp where sp.submission_id = s.id and sp.parent_id = $5))
       and ($6::boolean is null or s.staged = $6)
     order by s.id desc limit $7`,
    [collabId, f.beforeId, f.author ?? null, f.lever ?? null, f.parent ?? null, f.staged ?? null, f.limit]);
  return rows.map(withNumbers);
}

/** Which of these ids are submissions of the collaboration. */
export async function existingSubmissionIds(db: Queryable, collabId: number, ids: number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const rows = await db.query<{ id: number }>('select id from submissions where collaboration_id = $1 and id = any($2::int[])', [collabId, ids]);
  return new Set(rows.map((r) => r.id));
}

/** The files of a bundle, by path. */
export async function submissionFiles(db: Queryable, submissionId: number): Promise<ContentRow[]> {
  const rows = await db.query<ContentRow>(
    'select path, sha256, size_bytes as size, executable from submission_files where submission_id = $1 order by path', [submissionId]);
  return rows.map((f) => ({ ...f, size: Number(f.size) }));
}

/** The large artifacts placed at paths of the submission, by path. */
export async function submissionArtifactFiles(db: Queryable, submissionId: number): Promise<ContentRow[]> {
  const rows = await db.query<ContentRow>(
    `select sa.path, sa.sha256, a.size_bytes as size, false as executable from submission_artifacts sa
     join artifacts a on a.sha256 = sa.sha256 where sa.submission_id = $1 order by sa.path`, [submissionId]);
  return rows.map((f) => ({ ...f, size: Number(f.size) }));
}

export async function submissionFileAt(db: Queryable, submissionId: number, path: string): Promise<{ sha256: string; size: number } | undefined> {
  const [f] = await db.query<{ sha256: string; size: number }>(
    'select sha256, size_bytes as size from submission_files where submission_id = $1 and path = $2', [submissionId, path]);
  return f && { sha256: f.sha256, size: Number(f.size) };
}

export async function submissionArtifactAt(db: Queryable, submissionId: number, path: string): Promise<{ sha256: string } | undefined> {
  const [a] = await db.query<{ sha256: string }>('select sha256 from submission_artifacts where submission_id = $1 and path = $2', [submissionId, path]);
  return a;
}

export async function submissionCredits(db: Queryable, submissionId: number): Promise<{ handle: string; note: string }[]> {
  return db.query<{ handle: string; note: string }>(
    `select p.handle, c.note from submission_credits c join participants p on p.id = c.participant_id
     where c.submission_id = $1 order by p.handle`, [submissionId]);
}

/** Submissions that declare this one as a parent, ascending. */
export async function submissionChildren(db: Queryable, submissionId: number): Promise<number[]> {
  const rows = await db.query<{ id: number }>(
    'select submission_id as id from submission_parents where parent_id = $1 order by submission_id', [submissionId]);
  return rows.map((r) => r.id);
}

/** Member ids of the collaboration by handle; handles that are not members are absent. */
export async function memberIdsByHandle(db: Queryable, collabId: number, handles: string[]): Promise<Map<string, number>> {
  if (!handles.length) return new Map();
  const rows = await db.query<{ id: number; handle: string }>(
    `select p.id, p.handle from participants p join memberships m on m.participant_id = p.id
     where m.collaboration_id = $1 and p.handle = any($2::text[])`, [collabId, handles]);
  return new Map(rows.map((m) => [m.handle, m.id]));
}

/**
 * The earliest submission of the collaboration with this fingerprint. Takes a transaction lock on
 * the fingerprint first: two identical bundles arriving together are serialised, and the second
 * sees the first as what it duplicates.
 */
export async function lockFingerprintAndFindDuplicate(tx: Queryable, collabId: number, fingerprint: string): Promise<SubmissionLabelRow | undefined> {
  await tx.query('select pg_advisory_xact_lock(4242051, hashtext($1))', [fingerprint]);
  const [dup] = await tx.query<SubmissionLabelRow>(
    `select s.id, s.title, p.handle as author from submissions s join participants p on p.id = s.author_id
     where s.collaboration_id = $1 and s.fingerprint = $2 order by s.id limit 1`, [collabId, fingerprint]);
  return dup;
}

export interface NewSubmission {
  collaborationId: number;
  authorId: number;
  title: string;
  description: string;
  levers: string[];
  bundleSha256: string;
  files: ContentRow[];
  totalBytes: number;
  fingerprint: string;
  duplicateOf: number | null;
  artifacts: { path: string; sha256: string }[];
  parents: number[];
  /** Credited participants with their notes. */
  credits: { participantId: number; note: string }[];
  staged: boolean;
}

/** The submission row, its files, artifacts, parents and credits; returns the new id. */
export async function insertSubmission(tx: Queryable, s: NewSubmission): Promise<number> {
  const [row] = await tx.query<{ id: number }>(
    `insert into submissions (collaboration_id, author_id, title, description, levers, bundle_sha256, file_count, total_bytes,
       fingerprint, duplicate_of, artifact_refs, staged)
     values ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10, $11::text[], $12) returning id`,
    [s.collaborationId, s.authorId, s.title, s.description, s.levers, s.bundleSha256, s.files.length, s.totalBytes, s.fingerprint,
      s.duplicateOf, s.artifacts.map((x) => x.sha256), s.staged]);
  const id = row!.id;
  const files = s.files;
  await tx.query(
    `insert into submission_files (submission_id, path, sha256, size_bytes, executable)
     select $1, * from unnest($2::text[], $3::text[], $4::bigint[], $5::boolean[])`,
    [id, files.map((f) => f.path), files.map((f) => f.sha256), files.map((f) => f.size), files.map((f) => f.executable)]);
  if (s.artifacts.length)
    await tx.query(
      'insert into submission_artifacts (submission_id, path, sha256) select $1, * from unnest($2::text[], $3::text[])',
      [id, s.artifacts.map((x) => x.path), s.artifacts.map((x) => x.sha256)]);
  if (s.parents.length)
    await tx.query('insert into submission_parents (submission_id, parent_id) select $1, unnest($2::int[])', [id, s.parents]);
  if (s.credits.length)
    await tx.query(
      'insert into submission_credits (submission_id, participant_id, note) select $1, * from unnest($2::int[], $3::text[])',
      [id, s.credits.map((c) => c.participantId), s.credits.map((c) => c.note)]);
  return id;
}

/** These submissions and all their ancestors. */
export async function selfAndAncestorIds(db: Queryable, ids: number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const rows = await db.query<{ id: number }>(
    `with recursive anc(id) as (select unnest($1::int[]) union select sp.parent_id from submission_parents sp join anc on sp.submission_id = anc.id)
     select id from anc`, [ids]);
  return new Set(rows.map((r) => r.id));
}

/**
 * Up to 50 other submissions of the collaboration, by other authors, sharing the most non-empty
 * contents with `sha256s`, most shared first.
 */
export async function submissionsSharingContents(
  db: Queryable, collabId: number, exceptId: number, exceptAuthorId: number, sha256s: string[],
): Promise<{ id: number; author_id: number }[]> {
  return db.query<{ id: number; author_id: number }>(
    `select s.id, s.author_id from submission_files f join submissions s on s.id = f.submission_id
     where s.collaboration_id = $1 and s.id <> $2 and s.author_id <> $3 and f.size_bytes > 0 and f.sha256 = any($4::text[])
     group by s.id, s.author_id order by count(distinct f.sha256) desc, s.id limit 50`, [collabId, exceptId, exceptAuthorId, sha256s]);
}

/** Files and artifacts of several submissions (hash and size only), grouped by submission. */
export async function contentsOfSubmissions(db: Queryable, ids: number[]): Promise<Map<number, { sha256: string; size: number }[]>> {
  const rows = await db.query<{ submission_id: number; sha256: string; size: number }>(
    `select submission_id, sha256, size_bytes as size from submission_files where submission_id = any($1::int[])
     union all select sa.submission_id, sa.sha256, a.size_bytes from submission_artifacts sa join artifacts a on a.sha256 = sa.sha256
     where sa.submission_id = any($1::int[])`, [ids]);
  const byId = new Map<number, { sha256: string; size: number }[]>();
  for (const r of rows) byId.set(r.submission_id, [...(byId.get(r.submission_id) ?? []), { sha256: r.sha256, size: Number(r.size) }]);
  return byId;
}

export async function submissionLabels(db: Queryable, ids: number[]): Promise<Map<number, SubmissionLabelRow>> {
  const rows = await db.query<SubmissionLabelRow>(
    'select s.id, s.title, p.handle as author from submissions s join participants p on p.id = s.author_id where s.id = any($1::int[])', [ids]);
  return new Map(rows.map((r) => [r.id, r]));
}

/**
 * Creation times of this author's submissions to the collaboration in the last hour, and the
 * database's clock, after a per-author transaction lock: concurrent submissions by one author are
 * counted one after the other, so a burst cannot slip past the limit together.
 */
export async function lockAndRecentSubmissionTimes(tx: Queryable, collabId: number, authorId: number): Promise<{ now: Date; times: Date[] }> {
  await tx.query('select pg_advisory_xact_lock(4242052, $1)', [authorId]);
  const [{ now }] = (await tx.query<{ now: Date }>('select clock_timestamp() as now')) as [{ now: Date }];
  const rows = await tx.query<{ created_at: Date }>(
    `select created_at from submissions where collaboration_id = $1 and author_id = $2 and created_at > clock_timestamp() - interval '1 hour'`,
    [collabId, authorId]);
  return { now, times: rows.map((r) => r.created_at) };
}

/** Author, staging and invalidation of a submission, locked until the transaction ends. */
export async function lockSubmissionState(
  tx: Queryable, collabId: number, id: number,
): Promise<{ author_id: number; staged: boolean; invalidated_at: Date | null } | undefined> {
  const [cur] = await tx.query<{ author_id: number; staged: boolean; invalidated_at: Date | null }>(
    'select author_id, staged, invalidated_at from submissions where collaboration_id = $1 and id = $2 for update', [collabId, id]);
  return cur;
}

export async function setSubmissionStaged(tx: Queryable, id: number, staged: boolean): Promise<void> {
  await tx.query('update submissions set staged = $2 where id = $1', [id, staged]);
}
