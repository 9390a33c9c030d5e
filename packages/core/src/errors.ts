/** The one error type every layer throws; the HTTP shell turns it into `{error: {code, message, details}}`. */
export const errorStatus = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  edit_conflict: 409,
  lease_lost: 409,
  result_exists: 409,
  gone: 410,
  payload_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  unprocessable: 422,
  quota_exceeded: 429,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export class AgoraError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'AgoraError';
    this.code = code;
    this.details = details ?? null;
  }
  get status(): number {
    return errorStatus[this.code];
  }
}

export const notFound = (what: string, details?: unknown) => new AgoraError('not_found', `${what} not found`, details);
export const forbidden = (message: string, details?: unknown) => new AgoraError('forbidden', message, details);
export const conflict = (message: string, details?: unknown) => new AgoraError('conflict', message, details);
