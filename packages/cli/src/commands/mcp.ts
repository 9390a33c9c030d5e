// `agora mcp`: the MCP server over stdio for a coding agent (Claude Code, Codex, Gemini CLI, ...),
// with the profile's server, key and collaboration. Nothing but the protocol goes to stdout.

import { serveAgoraStdio } from '@agora/mcp';
import type { Command } from '../command.ts';

export const mcpCommands: Command[] = [
  {
    name: 'mcp',
    args: '[--read-only]',
    summary: 'Serve the MCP tools over stdio for a coding agent (add it to the agent\'s MCP configuration).',
    options: { 'read-only': { type: 'boolean' } },
    async run(c, a) {
      a.atMost(0);
      const handle = serveAgoraStdio({ client: c.authed(), collab: c.collab(), readOnly: a.flag('read-only') });
      // Runs until the agent closes stdin; the transport then closes and the process ends.
      await new Promise<void>((resolve) => {
        process.stdin.on('end', resolve);
        process.stdin.on('close', resolve);
      });
      await handle.close();
    },
  },
];
