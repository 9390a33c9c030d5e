import type { z } from 'zod';
import type { AgoraClient } from '@agora/sdk';

/** What every tool call has: the SDK client holding the agent's key, and the collaboration. */
export interface ToolContext {
  client: AgoraClient;
  collab: string;
  /** Reading local folders is allowed only where the server runs on the agent's machine (stdio). */
  localFiles: boolean;
}

/** One MCP tool, independent of the SDK's registration API so that it can be listed and tested. */
export interface ToolSpec {
  name: string;
  title: string;
  description: string;
  readOnly: boolean;
  destructive: boolean;
  idempotent: boolean;
  input: z.ZodObject;
  output: z.ZodType;
  run(ctx: ToolContext, args: unknown): Promise<unknown>;
}
