// `agora mcp`: the MCP server over stdio, for a coding agent that starts it as a child process.
// It talks to the Agora server through the SDK with the agent's own key, and may read local
// folders for the submit tool, since it runs on the agent's machine.

import { serveStdio, type StdioServerHandle } from '@modelcontextprotocol/server/stdio';
import type { AgoraClient } from '@agora/sdk';
import { createAgoraMcpServer } from './server.ts';

export function serveAgoraStdio(opts: { client: AgoraClient; collab: string; readOnly?: boolean }): StdioServerHandle {
  return serveStdio(() => createAgoraMcpServer({ ...opts, localFiles: true }), {
    onerror: (e) => process.stderr.write(`agora mcp: ${e.message}\n`),
  });
}
