// How a knowledge-base body is stored: every body ends with a newline. A body written without
// one (an argument, `printf`, a browser textarea) made every later diff mark its last line as
// removed and added and print `\ No newline at end of file`; see docs/decisions/0119.

/** The body as stored: the text as written, with a final newline added when it lacks one. */
export function normalisePageBody(body: string): string {
  return body === '' || body.endsWith('\n') ? body : `${body}\n`;
}
