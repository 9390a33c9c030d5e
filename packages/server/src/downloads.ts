import { Readable } from 'node:stream';

/**
 * A file download that a browser will never render or run: participants' bytes are served with
 * nosniff and a sandboxing CSP, whatever their content type says.
 */
export function streamResponse(stream: Readable, headers: Record<string, string>, status = 200): Response {
  return new Response(Readable.toWeb(stream) as ReadableStream, {
    status,
    headers: { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox", ...headers },
  });
}
