import { z } from 'zod';
import { bundlePathProblem } from '../submissions/paths.ts';
import { Handle, Label } from './identity.ts';

export const SUBMISSION_TITLE_MAX = 200;
export const SUBMISSION_DESCRIPTION_MAX = 20_000;
export const SUBMISSION_PARENTS_MAX = 20;
export const SUBMISSION_CREDITS_MAX = 50;
export const SUBMISSION_LEVERS_MAX = 20;
export const SUBMISSION_ARTIFACTS_MAX = 100;
/** Inline JSON files: the JSON body is capped at 1 MiB anyway; bigger bundles come as tar.gz. */
export const INLINE_FILES_MAX = 500;

export const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 is 64 lowercase hex digits');

/** A path inside a bundle; see submissions/paths.ts for the rules. */
export const BundlePath = z.string().max(600).superRefine((p, ctx) => {
  const problem = bundlePathProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const REF_RE = /^#?s?\d{1,10}$/i;
const refNumber = (v: string | number) => (typeof v === 'number' ? v : Number(v.replace(/^#?s?/i, '')));
const RefId = z.number().int().positive().max(2_147_483_647);

/** A submission named by id: 12, "12", "s12" or "#s12" (as written on the board). */
export const SubmissionRef = z
  .union([z.number().int(), z.string().trim().regex(REF_RE, 'a submission is named by its id: 12 or "#s12"')])
  .transform(refNumber)
  .pipe(RefId);

/** The same, as text only (query strings). */
export const SubmissionRefText = z.string().trim().regex(REF_RE, 'a submission is named by its id: 12 or "#s12"').transform(refNumber).pipe(RefId);

/** A lever: a free tag naming a technique (int4, spec-decode, cuda-graphs). Lowercased. */
export const Lever = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._+-]{0,39}$/, 'a lever is 1-40 lowercase letters, digits, ".", "_", "+" or "-", starting with a letter or digit');

const BAD_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;
export const Description = z
  .string()
  .max(SUBMISSION_DESCRIPTION_MAX)
  .refine((s) => !BAD_CONTROL.test(s), 'control characters other than tab and newline are not allowed');

const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/;
/** A title: one line, no control or bidirectional override characters (they disguise text in lists). */
export const Title = Label(SUBMISSION_TITLE_MAX).refine((s) => !BIDI_CONTROL.test(s), 'bidirectional control characters are not allowed');

export const CreditIn = z.object({ handle: Handle, note: Label(500).optional() });
export const ArtifactRefIn = z.object({ path: BundlePath, sha256: Sha256 });

const unique = <T>(xs: T[]) => [...new Set(xs)];

/** Metadata given with every new submission, whatever carries its files. */
export const SubmissionMeta = z.object({
  title: Title,
  description: Description.default(''),
  parents: z.array(SubmissionRef).max(SUBMISSION_PARENTS_MAX).default([]).transform(unique),
  credits: z.array(CreditIn).max(SUBMISSION_CREDITS_MAX).default([]),
  levers: z.array(Lever).max(SUBMISSION_LEVERS_MAX).default([]).transform(unique),
  /** Large artifacts (uploaded on their own) placed into the unpacked bundle at a path. */
  artifacts: z.array(ArtifactRefIn).max(SUBMISSION_ARTIFACTS_MAX).default([]),
  /** Ask someone with quota to run it (quota pooling). */
  staged: z.boolean().default(false),
});
export type SubmissionMeta = z.infer<typeof SubmissionMeta>;

export const InlineFile = z.object({
  path: BundlePath,
  content: z.string(),
  encoding: z.enum(['utf8', 'base64']).default('utf8'),
  executable: z.boolean().default(false),
});

/** JSON create: the files inline, or `bundle`, the sha256 of a tar.gz already uploaded to this collaboration's artifacts. */
export const CreateSubmissionBody = SubmissionMeta.extend({
  files: z.array(InlineFile).min(1).max(INLINE_FILES_MAX).optional(),
  bundle: Sha256.optional(),
}).refine((b) => (b.files ? 1 : 0) + (b.bundle ? 1 : 0) === 1, { message: 'give exactly one of files (inline) or bundle (sha256 of an uploaded tar.gz)', path: ['files'] });

const csv = () =>
  z
    .string()
    .max(4000)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

/** Raw tar.gz upload: metadata in the query string (lists comma-separated; credits as handles). */
export const UploadSubmissionQuery = z.object({
  title: Title,
  description: Description.max(4000).default(''),
  parents: csv().pipe(z.array(SubmissionRefText).max(SUBMISSION_PARENTS_MAX)).default([]),
  levers: csv().pipe(z.array(Lever).max(SUBMISSION_LEVERS_MAX)).default([]),
  credits: csv().pipe(z.array(Handle).max(SUBMISSION_CREDITS_MAX)).default([]),
  staged: z.enum(['true', 'false', '1', '0']).transform((s) => s === 'true' || s === '1').default(false),
});

export const SubmissionFile = z.object({
  path: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  executable: z.boolean(),
});

export const SubmissionArtifactRef = z.object({ path: z.string(), sha256: z.string(), size: z.number().int() });

export const SubmissionSummary = z.object({
  id: z.number().int(),
  /** "#s12": how the board refers to it. */
  ref: z.string(),
  author: z.string(),
  title: z.string(),
  levers: z.array(z.string()),
  parents: z.array(z.number().int()),
  fingerprint: z.string(),
  duplicateOf: z.number().int().nullable(),
  bundleSha256: z.string(),
  fileCount: z.number().int(),
  totalBytes: z.number().int(),
  staged: z.boolean(),
  invalidated: z.object({ at: z.string(), reason: z.string().nullable() }).nullable(),
  createdAt: z.string(),
});
export type SubmissionSummary = z.infer<typeof SubmissionSummary>;

export const SubmissionDetail = SubmissionSummary.extend({
  description: z.string(),
  credits: z.array(z.object({ handle: z.string(), note: z.string() })),
  files: z.array(SubmissionFile),
  artifacts: z.array(SubmissionArtifactRef),
  /** Submissions that declare this one as a parent. */
  children: z.array(z.number().int()),
});
export type SubmissionDetail = z.infer<typeof SubmissionDetail>;

export const SuggestedParent = z.object({
  id: z.number().int(),
  author: z.string(),
  title: z.string(),
  /** Jaccard index of the two bundles' file contents, 0..1. */
  similarity: z.number(),
  sharedFiles: z.number().int(),
});

export const SubmissionCreated = z.object({
  submission: SubmissionDetail,
  /** The earliest submission of this collaboration with the same fingerprint, if any. */
  duplicateOf: z.object({ id: z.number().int(), author: z.string(), title: z.string() }).nullable(),
  /** Earlier submissions by others that share most files with this one and are not declared parents (or their ancestors). */
  suggestedParents: z.array(SuggestedParent),
});

export const ListSubmissionsQuery = z.object({
  author: Handle.optional(),
  lever: Lever.optional(),
  parent: SubmissionRefText.optional(),
  staged: z.enum(['true', 'false']).transform((s) => s === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const FileDiff = z.object({
  path: z.string(),
  status: z.enum(['added', 'removed', 'modified', 'renamed']),
  oldPath: z.string().nullable(),
  oldSha256: z.string().nullable(),
  newSha256: z.string().nullable(),
  oldSize: z.number().int().nullable(),
  newSize: z.number().int().nullable(),
  binary: z.boolean(),
  added: z.number().int(),
  removed: z.number().int(),
  /** `diff -u` text; null for binary files, unchanged contents, or past the size budget (see truncated). */
  unified: z.string().nullable(),
  truncated: z.boolean(),
});

export const SubmissionDiff = z.object({
  against: z.number().int(),
  added: z.number().int(),
  removed: z.number().int(),
  modified: z.number().int(),
  renamed: z.number().int(),
  unchanged: z.number().int(),
  files: z.array(FileDiff),
});

export const SubmissionDiffs = z.object({ submission: z.number().int(), items: z.array(SubmissionDiff) });

export const Artifact = z.object({
  sha256: z.string(),
  size: z.number().int(),
  mediaType: z.string(),
  uploadedBy: z.string().nullable(),
  createdAt: z.string(),
});

export const ArtifactUpload = z.object({
  uploadId: z.string(),
  received: z.number().int(),
  maxBytes: z.number().int(),
  mediaType: z.string(),
  createdAt: z.string(),
});

export const MediaType = z.string().trim().toLowerCase().regex(/^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$/, 'a media type such as application/octet-stream');
