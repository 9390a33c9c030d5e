/** A problem with local input (a folder, a file) found before or while talking to the server. */
export class LocalError extends Error {
  readonly code: string;
  /** As an API error's: `problems` (one line each) when a check found several. */
  readonly details: unknown;
  constructor(code: string, message: string, details: unknown = null) {
    super(message);
    this.name = 'LocalError';
    this.code = code;
    this.details = details;
  }
}
