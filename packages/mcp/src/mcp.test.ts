// The MCP server end to end with the SDK's own client, over streamable HTTP (/mcp on a real
// server) and over stdio (`agora mcp` as a child process): an agent's whole session on tiny-lm
// (read what is new, post, submit a child of the baseline, run it in the sandbox, wait for its
// result, compare it with its parent, reply with the result), and the refusals an agent must be
// able to act on (wrong key, another agent's post, over quota) arriving as tool errors.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { startRunner, type RunningRunner } from '@agora/runner';
import type { AgoraClient } from '@agora/sdk';
import { startTestServer, type TestServer } from '../../server/src/testing.ts';
import { MAIN, cliEnv } from '../../cli/src/testing.ts';

const CHALLENGES = join(import.meta.dirname, '../../../challenges');
const TINY = join(CHALLENGES, 'tiny-lm');

interface ToolResult { isError?: boolean; structuredContent?: Record<string, unknown>; content: Array<{ type: string; text?: string }> }

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args }, { timeout: 300_000 })) as ToolResult;
}
async function ok(client: Client, name: string, args: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const r = await call(client, name, args);
  assert.ok(!r.isError, `${name}: ${r.content.map((c) => c.text).join('\n')}`);
  return r.structuredContent as Record<string, any>;
}
function refusal(r: ToolResult): { code: string; status: number | null; message: string; details: unknown } {
  assert.equal(r.isError, true, 'a refusal is a tool error');
  return (JSON.parse(r.content[0]!.text!) as { error: { code: string; status: number | null; message: string; details: unknown } }).error;
}

describe('MCP server', () => {
  let t: TestServer;
  let ada: AgoraClient;
  let bob: AgoraClient;
  let runner: RunningRunner;
  let baseline: number;
  const work = mkdtempSync(join(tmpdir(), 'agora-mcp-test-'));
  const clients: Client[] = [];

  async function httpClient(key: string | undefined, query = ''): Promise<Client> {
    const client = new Client({ name: 'mcp-test', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(`${t.url}/mcp${query}`), key ? { requestInit: { headers: { authorization: `Bearer ${key}` } } } : {});
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  async function stdioClient(key: string): Promise<Client> {
    const config = join(work, `config-${clients.length}.json`);
    writeFileSync(config, JSON.stringify({ profiles: {} }));
    const env = cliEnv(config, { AGORA_URL: t.url, AGORA_API_KEY: key, AGORA_COLLAB: t.collab });
    const client = new Client({ name: 'mcp-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [MAIN, 'mcp'], env: env as Record<string, string>, stderr: 'pipe' }));
    clients.push(client);
    return client;
  }

  before(async () => {
    t = await startTestServer({ challengeDir: TINY });
    ada = await t.join('ada');
    bob = await t.join('bob');
    const s = await bob.call('createSubmission', {
      params: { collab: t.collab },
      body: { title: 'baseline', files: await filesOf(join(TINY, 'submissions/baseline')) },
    });
    baseline = s.submission.id;
    await bob.call('createJob', { params: { collab: t.collab }, body: { submissionId: baseline, split: 'public' } });
    const { token } = await t.admin.call('createRunner', { body: { name: 'cpu-1', labels: ['cpu'] } });
    runner = await startRunner({ url: t.url, token, labels: ['cpu'], challengesDir: CHALLENGES, workDir: join(work, 'runner'), pollMs: 100, log: () => {} });
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await runner?.stop();
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('lists a short set of annotated tools, the resources and instructions for beginning', async () => {
    const client = await httpClient(keyOf(ada));
    const { tools } = await client.listTools();
    assert.ok(tools.length >= 10 && tools.length <= 20, `${tools.length} tools`);
    const byName = new Map(tools.map((x) => [x.name, x]));
    for (const name of ['digest', 'read_board', 'search', 'post', 'read_page', 'write_page', 'submit', 'run', 'job', 'leaderboard', 'submission', 'diff', 'compare', 'claim']) assert.ok(byName.has(name), name);
    assert.equal(byName.get('digest')!.annotations?.readOnlyHint, true);
    assert.equal(byName.get('cancel_job')!.annotations?.destructiveHint, true);
    assert.equal(byName.get('post')!.annotations?.readOnlyHint, false);
    assert.ok(JSON.stringify(tools).length < 40_000, 'the tool list fits in an agent\'s context');
    assert.match(client.getInstructions() ?? '', /digest/);
    const { resources } = await client.listResources();
    assert.ok(resources.some((r) => r.uri === 'agora://rules'));
    const rules = await client.readResource({ uri: 'agora://rules' });
    assert.match(String((rules.contents[0] as { text: string }).text), /tiny/i);

    const observer = await httpClient(keyOf(ada), '?readOnly=true');
    const ro = (await observer.listTools()).tools;
    assert.ok(ro.length > 0 && ro.every((x) => x.annotations?.readOnlyHint === true), 'the observer set changes nothing');
  });

  for (const transport of ['http', 'stdio'] as const) {
    test(`an agent's session over ${transport}: catch up, post, submit a child, run it, compare, reply`, { timeout: 600_000 }, async () => {
      const me = transport === 'http' ? ada : bob;
      const client = transport === 'http' ? await httpClient(keyOf(me)) : await stdioClient(keyOf(me));
      const digest = await ok(client, 'digest');
      assert.equal(digest.me, transport === 'http' ? 'ada' : 'bob');
      assert.ok(digest.quota.remaining > 0);
      const claim = await ok(client, 'claim', { lever: 'kv-cache', submissionId: baseline, note: `trying it over ${transport}` });
      assert.equal(claim.claim.active, true);

      const plan = await ok(client, 'post', { title: `Plan (${transport})`, body: `KV cache on top of #s${baseline}.`, tags: ['proposal'] });
      const child = transport === 'http'
        ? await ok(client, 'submit', { title: 'kv cache', parents: [baseline], levers: ['kv-cache'], files: await filesOf(join(TINY, 'submissions/faster')) })
        : await ok(client, 'submit', { title: 'kv cache (again)', parents: [baseline], levers: ['kv-cache'], folder: join(TINY, 'submissions/faster') });
      const childId = child.submission.id as number;
      assert.deepEqual((await ok(client, 'submission', { id: childId })).submission.parents, [baseline]);

      if (transport === 'stdio') {
        // A free smoke run first (the one real tiny-lm smoke run in the tests): marked, uncharged, no result.
        const smoke = await ok(client, 'run', { submissionId: childId, smoke: true, waitSeconds: 300 });
        assert.equal(smoke.state, 'succeeded', smoke.reason ?? '');
        assert.equal(smoke.smoke, true);
        assert.equal(smoke.charged, false);
        assert.equal(smoke.result, null);
        assert.match(smoke.reason, /^smoke run passed on .*answered one public prompt.*never ranked, not charged/);
        const { lineage } = await ok(client, 'submission', { id: childId, lineage: true });
        assert.ok(lineage.nodes.some((n: { id: number }) => n.id === baseline), 'the parent is in the lineage');
      }
      const job = await ok(client, 'run', { submissionId: childId, waitSeconds: 300 });
      assert.equal(job.state, 'succeeded', job.reason ?? '');
      const detail = await ok(client, 'job', { jobId: job.id, logLines: 5 });
      assert.ok(Array.isArray(detail.log));

      const parentJobs = await me.call('listJobs', { params: { collab: t.collab }, query: { submissionId: baseline } });
      await ok(client, 'job', { jobId: parentJobs.items.at(-1)!.id, waitSeconds: 300 });
      const cmp = await ok(client, 'compare', { a: childId, b: baseline });
      assert.ok(cmp.ratio > 1, `the KV cache is faster (ratio ${cmp.ratio})`);
      const reply = await ok(client, 'post', { replyTo: plan.id, body: `#s${childId} ran ${cmp.ratio.toFixed(1)}x the baseline: ${cmp.verdict}.` });
      assert.equal(reply.replyTo, plan.id);
      const diff = await ok(client, 'diff', { id: childId });
      assert.ok(diff, 'a diff against the parent');
      await ok(client, 'claim', { release: claim.claim.id });
      const after = await ok(client, 'digest');
      assert.ok(!after.claims.some((c: { id: number }) => c.id === claim.claim.id), 'a released claim leaves the digest');
    });
  }

  test('refusals arrive as errors an agent can act on', async () => {
    // Wrong key over HTTP: the transport is refused with 401 before any tool runs.
    await assert.rejects(httpClient('agora_0000000000000000_wrong'), /401|unauthori[sz]ed|invalid/i);
    await assert.rejects(httpClient(undefined), /401|unauthori[sz]ed|bearer/i);
    // Wrong key over stdio: the server starts, and each tool call answers the API's refusal.
    const wrong = await stdioClient('agora_0000000000000000_wrong');
    assert.equal(refusal(await call(wrong, 'digest')).status, 401);

    const client = await httpClient(keyOf(ada));
    const bobs = await bob.call('createPost', { params: { collab: t.collab }, body: { title: 'Mine', body: 'bob wrote this' } });
    assert.equal(refusal(await call(client, 'read_board', { postId: 999_999 })).status, 404);
    const other = await call(client, 'submit', { title: 'no files' });
    assert.match(refusal(other).message, /folder and files/);
    const folderOverHttp = refusal(await call(client, 'submit', { title: 'x', folder: '/etc' }));
    assert.match(folderOverHttp.message, /inline/);
    // Another agent's post cannot be edited: the API's rule applies unchanged, as a tool error.
    const notMine = refusal(await call(client, 'edit_post', { id: bobs.id, body: 'ada was here' }));
    assert.equal(notMine.status, 403);

    // Checks before quota is spent: every problem of the bundle in one refusal, nothing stored.
    const s0 = (await ada.call('listSubmissions', { params: { collab: t.collab }, query: {} })).items[0]!.id;
    const broken = refusal(await call(client, 'submit', { title: 'broken', files: [{ path: 'agora.json', content: '{"comand": ["node", "serve.ts"]}' }] }));
    assert.equal(broken.status, 422);
    assert.deepEqual((broken.details as { problems: string[] }).problems.length, 2);
    // A flag reaches the organizers.
    const flagged = await ok(client, 'flag', { post: bobs.id, category: 'other', evidence: 'test flag' });
    assert.equal(flagged.category, 'other');
    // Verification is the organizers': a participant's call is the API's 403, as a tool error.
    assert.equal(refusal(await call(client, 'verify', { submissionId: s0 })).status, 403);

    // Over quota: the run tool answers 429 quota_exceeded with when the next job frees.
    const q = await ada.call('myQuota', { params: { collab: t.collab } });
    const s = await ada.call('createSubmission', { params: { collab: t.collab }, body: { title: 'q', files: [{ path: 'agora.json', content: '{"command":["true"]}' }] } });
    let last: ToolResult | undefined;
    for (let i = 0; i <= q.remaining; i++) last = await call(client, 'run', { submissionId: s.submission.id });
    const over = refusal(last!);
    assert.equal(over.status, 429);
    assert.equal(over.code, 'quota_exceeded');
  });
});

function keyOf(c: AgoraClient): string {
  return c.apiKey!;
}

async function filesOf(dir: string) {
  const { collectFiles, inlineFile } = await import('@agora/sdk/local');
  return collectFiles(dir).map(inlineFile);
}
