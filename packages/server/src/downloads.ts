/**
 * A file download that a browser will never render or run: participants' bytes are served with
 * nosniff and a sandboxing CSP, whatever their content type says.
 */
export function streamResponse(body: ReadableStream<Uint8Array>, headers: Record<string, string>, status = 200): Response {
  return new Response(body, {
    status,
    headers: { 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; sandbox", ...headers },
  });
}
