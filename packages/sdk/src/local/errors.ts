/** A problem with local input (a folder, a file) found before or while talking to the server. */
export class LocalError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'LocalError';
    this.code = code;
  }
}
