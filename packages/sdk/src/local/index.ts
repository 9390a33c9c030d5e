// Node-only helpers over the SDK for local files and folders (the browser build never imports them).
export { LocalError } from './errors.ts';
export { collectFiles, inlineFile, packTar, SKIP, type LocalFile } from './folder.ts';
export { sha256File, uploadArtifact, type Uploaded } from './upload.ts';
export { submitFolder, type SubmissionCreated, type SubmissionMeta } from './submit.ts';
