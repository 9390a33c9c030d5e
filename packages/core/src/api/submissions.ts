import { z } from 'zod';
import { Slug } from '../schemas/challenge.ts';
import {
  Artifact,
  ArtifactUpload,
  BundlePath,
  CreateSubmissionBody,
  ListSubmissionsQuery,
  MediaType,
  Sha256,
  SubmissionCreated,
  SubmissionDetail,
  SubmissionDiffs,
  SubmissionRefText,
  SubmissionSummary,
  UploadSubmissionQuery,
} from '../schemas/submissions.ts';
import { IdParam, Ok, Page, route } from './route.ts';

const CollabParams = z.object({ collab: Slug });
const SubmissionParams = z.object({ collab: Slug, id: IdParam });
const UploadParams = z.object({ collab: Slug, uploadId: z.string().regex(/^[0-9a-f]{32}$/, 'an upload id is 32 hex digits') });
const ArtifactParams = z.object({ collab: Slug, sha256: Sha256 });

export const submissionRoutes = {
  createSubmission: route({
    method: 'post', path: '/v1/collaborations/{collab}/submissions', tag: 'submissions', auth: 'required', status: 201,
    summary: 'Submit a bundle: files inline (utf8 or base64) or `bundle`, the sha256 of a tar.gz uploaded with uploadArtifact; with parents, credits, levers and artifact references. Answers duplicateOf (same fingerprint) and suggestedParents (similar bundles by others not declared).',
    params: CollabParams,
    body: CreateSubmissionBody,
    response: SubmissionCreated,
  }),
  uploadSubmission: route({
    method: 'post', path: '/v1/collaborations/{collab}/submissions/upload', tag: 'submissions', auth: 'required', status: 201,
    summary: 'Submit a bundle as a raw tar.gz body (content-type: application/gzip), metadata in the query (parents, levers, credits comma-separated). Same answer as createSubmission.',
    params: CollabParams,
    query: UploadSubmissionQuery,
    rawBody: 'application/gzip',
    response: SubmissionCreated,
  }),
  listSubmissions: route({
    method: 'get', path: '/v1/collaborations/{collab}/submissions', tag: 'submissions', auth: 'optional',
    summary: 'Submissions, newest first; filter by author handle, lever, parent or staged.',
    params: CollabParams,
    query: ListSubmissionsQuery,
    response: Page(SubmissionSummary),
  }),
  getSubmission: route({
    method: 'get', path: '/v1/collaborations/{collab}/submissions/{id}', tag: 'submissions', auth: 'optional',
    summary: 'One submission with its files, parents, children, credits, artifacts, fingerprint and duplicateOf. Invalidated submissions stay readable.',
    params: SubmissionParams,
    response: SubmissionDetail,
  }),
  downloadBundle: route({
    method: 'get', path: '/v1/collaborations/{collab}/submissions/{id}/bundle', tag: 'submissions', auth: 'optional',
    summary: 'The canonical bundle (application/gzip tar); large artifacts are not inside: fetch them by hash.',
    params: SubmissionParams,
    rawResponse: 'application/gzip',
    response: z.unknown(),
  }),
  getSubmissionFile: route({
    method: 'get', path: '/v1/collaborations/{collab}/submissions/{id}/file', tag: 'submissions', auth: 'optional',
    summary: 'The bytes of one file of the bundle (text/plain for UTF-8 text, application/octet-stream otherwise; never rendered).',
    params: SubmissionParams,
    query: z.object({ path: BundlePath }),
    rawResponse: 'application/octet-stream',
    response: z.unknown(),
  }),
  diffSubmission: route({
    method: 'get', path: '/v1/collaborations/{collab}/submissions/{id}/diff', tag: 'submissions', auth: 'optional',
    summary: 'File diff against each parent, or against `against` (any submission of the collaboration): added, removed, modified, renamed files, with unified text diffs within a size budget.',
    params: SubmissionParams,
    query: z.object({ against: SubmissionRefText.optional(), context: z.coerce.number().int().min(0).max(20).default(3) }),
    response: SubmissionDiffs,
  }),
  setSubmissionStaged: route({
    method: 'put', path: '/v1/collaborations/{collab}/submissions/{id}/staged', tag: 'submissions', auth: 'required',
    summary: 'The author stages (offers for someone else to run on their quota) or unstages a submission.',
    params: SubmissionParams,
    body: z.object({ staged: z.boolean() }),
    response: SubmissionSummary,
  }),

  uploadArtifact: route({
    method: 'post', path: '/v1/collaborations/{collab}/artifacts', tag: 'artifacts', auth: 'required', status: 201,
    summary: 'Upload a blob in one request (raw body); answers its sha256. For large artifacts use resumable uploads.',
    params: CollabParams,
    query: z.object({ mediaType: MediaType.default('application/octet-stream') }),
    rawBody: 'application/octet-stream',
    response: Artifact,
  }),
  createArtifactUpload: route({
    method: 'post', path: '/v1/collaborations/{collab}/artifact-uploads', tag: 'artifacts', auth: 'required', status: 201,
    summary: 'Start a resumable upload of a large artifact (a checkpoint).',
    params: CollabParams,
    body: z.object({ mediaType: MediaType.default('application/octet-stream'), size: z.number().int().min(1).optional() }),
    response: ArtifactUpload,
  }),
  getArtifactUpload: route({
    method: 'get', path: '/v1/collaborations/{collab}/artifact-uploads/{uploadId}', tag: 'artifacts', auth: 'required',
    summary: 'How many bytes of my upload arrived: resume from `received`.',
    params: UploadParams,
    response: ArtifactUpload,
  }),
  putArtifactUploadChunk: route({
    method: 'put', path: '/v1/collaborations/{collab}/artifact-uploads/{uploadId}', tag: 'artifacts', auth: 'required',
    summary: 'Append a chunk (raw body) at `offset` (or Content-Range: bytes START-END/*), which must equal the bytes received so far; 409 with details.received otherwise.',
    params: UploadParams,
    query: z.object({ offset: z.coerce.number().int().min(0).optional() }),
    rawBody: 'application/octet-stream',
    response: ArtifactUpload,
  }),
  completeArtifactUpload: route({
    method: 'post', path: '/v1/collaborations/{collab}/artifact-uploads/{uploadId}/complete', tag: 'artifacts', auth: 'required',
    summary: 'Finish an upload: the server hashes what it received and stores it only if it matches sha256 (422 otherwise).',
    params: UploadParams,
    body: z.object({ sha256: Sha256 }),
    response: Artifact,
  }),
  abortArtifactUpload: route({
    method: 'delete', path: '/v1/collaborations/{collab}/artifact-uploads/{uploadId}', tag: 'artifacts', auth: 'required',
    summary: 'Drop an unfinished upload.',
    params: UploadParams,
    response: Ok,
  }),
  getArtifact: route({
    method: 'get', path: '/v1/collaborations/{collab}/artifacts/{sha256}', tag: 'artifacts', auth: 'optional',
    summary: 'An artifact uploaded to this collaboration: size, media type, uploader.',
    params: ArtifactParams,
    response: Artifact,
  }),
  downloadArtifact: route({
    method: 'get', path: '/v1/collaborations/{collab}/artifacts/{sha256}/content', tag: 'artifacts', auth: 'optional',
    summary: 'The bytes of an artifact uploaded to this collaboration (supports Range: bytes=START-END).',
    params: ArtifactParams,
    rawResponse: 'application/octet-stream',
    response: z.unknown(),
  }),
};
