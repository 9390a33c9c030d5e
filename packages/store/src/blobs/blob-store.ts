/**
 * Content-addressed blob storage: bundles, their files and large artifacts, named by the sha256
 * of their bytes. Everything above this interface sees hashes, sizes and web byte streams, never
 * where or how the bytes are kept: the local directory (local.ts) is one implementation, an
 * object store (S3) is meant to be another. contract.ts is the suite every implementation passes.
 *
 * Errors are AgoraErrors: `validation_failed` for a malformed hash, `not_found` for an absent blob
 * or upload, `payload_too_large` past a limit, `unprocessable` when bytes do not match the hash
 * they were announced with, `conflict` for an upload written by someone else right now or at
 * another offset.
 */

/** Anything bytes can come from: a buffer, a web stream, an async iterable of chunks. */
export type ByteSource = Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

export interface BlobInfo {
  sha256: string;
  size: number;
}

export interface PutResult extends BlobInfo {
  /** False when the store already held these bytes (deduplicated). */
  created: boolean;
}

export interface PutOptions {
  /** Refuse (payload_too_large) once more bytes than this arrive; nothing is left behind. Default: maxBlobBytes. */
  maxBytes?: number;
  /** Refuse (unprocessable) bytes that hash to anything else; nothing is left behind. */
  expectSha256?: string;
  /**
   * The caller keeps these bytes durably elsewhere (a bundle's files are also inside its stored
   * canonical tar.gz), so the store need not force each one to stable storage before answering.
   */
  durableElsewhere?: boolean;
}

/** Inclusive byte range, as in HTTP. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobStore {
  /** The largest blob this store accepts. */
  readonly maxBlobBytes: number;

  /** Stores bytes, hashing them as they arrive; a blob is either whole or absent. */
  put(src: ByteSource, opts?: PutOptions): Promise<PutResult>;
  /** Size of a blob, or null when absent. */
  stat(sha256: string): Promise<BlobInfo | null>;
  /** The blob's bytes, or one range of them; not_found when absent. */
  get(sha256: string, range?: ByteRange): Promise<ReadableStream<Uint8Array>>;
  /** A small blob whole in memory, refusing (payload_too_large) blobs over maxBytes. */
  read(sha256: string, maxBytes: number): Promise<Uint8Array>;
  /** Removes a blob; false when it was absent. */
  delete(sha256: string): Promise<boolean>;

  // ---- multipart (resumable) uploads: create, append at the current offset, complete with the expected hash ----

  /** Starts an upload; the id is an unguessable capability. */
  createUpload(): Promise<string>;
  /** Bytes received so far; not_found for an unknown, completed or aborted upload. */
  uploadReceived(id: string): Promise<number>;
  /**
   * Appends a chunk that must start at the bytes received so far (conflict otherwise, with
   * `details.received`). A cut connection keeps what arrived (bad_request, `details.received`);
   * a chunk that would pass maxBytes is refused whole. One writer per upload at a time.
   */
  appendUpload(id: string, offset: number, src: ByteSource, opts?: { maxBytes?: number }): Promise<number>;
  /** Verifies the whole upload against sha256 and makes it a blob; a mismatch keeps the upload. */
  completeUpload(id: string, sha256: string): Promise<PutResult>;
  /** Drops an upload and its bytes; absent uploads are fine. */
  abortUpload(id: string): Promise<void>;
}

export const SHA256_RE = /^[0-9a-f]{64}$/;
export const isSha256 = (s: string) => SHA256_RE.test(s);
/** Default ceiling for one large artifact (a checkpoint). */
export const DEFAULT_MAX_BLOB_BYTES = 20 * 1024 ** 3;

/** The chunks of any byte source. */
export function chunksOf(src: ByteSource): AsyncIterable<Uint8Array> {
  if (src instanceof Uint8Array) return (async function* () { yield src; })();
  return src as AsyncIterable<Uint8Array>;
}
