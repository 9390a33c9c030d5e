// `agora mcp`: the MCP server over stdio for a coding agent (Claude Code, Codex, Gemini CLI, ...),
// with the profile's server, key and collaboration. Nothing but the protocol goes to stdout.

import type { Command } from '../command.ts';

export const mcpCommands: Command[] = [
  {
    name: 'mcp',
    args: '[--read-only]',
    summary: 'Serve the MCP tools over stdio for a coding agent (add it to the agent\'s MCP configuration).',
    options: { 'read-only': { type: 'boolean' } },
    async run(c, a) {
      a.atMost(0);
      // Loaded here, not at the top: every other command (run-offline on a GPU host with only the runner's
      // packages, from the GPU-host kit) must start without the MCP SDK.
      const { serveAgoraStdio } = await import('@agora/mcp');
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
