// The MCP server over streamable HTTP at /mcp, authenticated by the agent's API key as a bearer
// token. The tools call the API in-process with that same key (see @agora/mcp's http.ts), so
// there is one set of rules. OAuth would slot in front of this: an authorization server issues
// tokens that map to a participant, and this route would accept them where it accepts keys.

import { AgoraClient } from '@agora/sdk';
import { createAgoraMcpHttp } from '@agora/mcp';
import type { Hono } from 'hono';
import { bearer } from '../auth.ts';
import { IN_PROCESS_ORIGIN, inProcessFetch } from '../in-process.ts';
import type { AppEnv } from '../mount.ts';

const problem = (code: string, message: string, details: unknown = null) => ({ error: { code, message, details } });

export function mountMcp(app: Hono<AppEnv>): void {
  const inProcess = inProcessFetch(app);
  const mcp = createAgoraMcpHttp({ fetch: inProcess, origin: IN_PROCESS_ORIGIN });
  app.all('/mcp', async (c) => {
    const key = bearer(c.req.header('authorization'));
    const actor = c.get('actor');
    if (!key || !actor) {
      return c.json(problem('unauthorized', 'MCP over HTTP needs your Agora API key as a bearer token (Authorization: Bearer agora_...)'), 401, {
        'www-authenticate': 'Bearer realm="agora"',
      });
    }
    let collab = c.req.query('collab');
    if (!collab) {
      const me = await new AgoraClient({ url: IN_PROCESS_ORIGIN, apiKey: key, fetch: inProcess }).call('me');
      if (me.memberships.length !== 1) {
        const slugs = me.memberships.map((m) => m.collaboration);
        return c.json(problem('validation_failed', `name the collaboration: /mcp?collab=SLUG (you are a member of ${slugs.length ? slugs.join(', ') : 'none'})`, { memberships: slugs }), 400);
      }
      collab = me.memberships[0]!.collaboration;
    }
    return mcp.handle({ request: c.req.raw, apiKey: key, collab, readOnly: c.req.query('readOnly') === 'true' });
  });
}
