// Streamable HTTP at /mcp on the Agora server. Each request is served by a fresh MCP server
// instance (the protocol's stateless HTTP mode) whose SDK client calls the API in-process with
// the caller's own key, so every permission, quota and validation rule applies unchanged.

import { createMcpHandler } from '@modelcontextprotocol/server';
import { AgoraClient } from '@agora/sdk';
import { createAgoraMcpServer } from './server.ts';

export interface McpHttpOptions {
  /** Serves an API request in-process (the server's own app.fetch). */
  fetch: typeof fetch;
  /** The origin the in-process client pretends to talk to; never leaves the process. */
  origin?: string;
}

export interface McpRequest {
  request: Request;
  apiKey: string;
  collab: string;
  readOnly: boolean;
}

export function createAgoraMcpHttp(opts: McpHttpOptions): { handle(r: McpRequest): Promise<Response>; close(): Promise<void> } {
  const origin = opts.origin ?? 'http://agora.internal';
  // One handler per request shape: the factory needs the caller's key and collaboration, which
  // the SDK passes through only as authInfo; we carry them there.
  const handler = createMcpHandler(
    (ctx) => {
      const extra = (ctx.authInfo?.extra ?? {}) as { collab?: string; readOnly?: boolean };
      const client = new AgoraClient({ url: origin, apiKey: ctx.authInfo?.token, fetch: opts.fetch });
      return createAgoraMcpServer({ client, collab: String(extra.collab ?? ''), localFiles: false, readOnly: extra.readOnly === true });
    },
    { onerror: () => {} },
  );
  return {
    handle: ({ request, apiKey, collab, readOnly }) =>
      handler.fetch(request, { authInfo: { token: apiKey, clientId: 'agora-agent', scopes: [], extra: { collab, readOnly } } }),
    close: () => handler.close(),
  };
}
