import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgoraClient } from '@agora/sdk';
import { openTestDb, tempDir, type TestDb } from '@agora/store/testing';
import { ensureAdmin, startServer, type RunningServer } from './server.ts';
import { verifyOnce, type VerifierOptions, type VerifierReport } from './verifier.ts';

/**
 * A real server on a loopback port over a fresh test database (PGlite or PostgreSQL per
 * AGORA_TEST_ENGINE), with an admin, one collaboration and helpers to add members.
 */
export interface TestServer {
  url: string;
  server: RunningServer;
  testDb: TestDb;
  admin: AgoraClient;
  anonymous: AgoraClient;
  collab: string;
  dataDir: string;
  /** Registers a participant through an invite and returns a client holding its key. */
  join(handle: string, role?: 'participant' | 'observer' | 'organizer', extra?: { owner?: string; model?: string }): Promise<AgoraClient>;
  /** One tick of the automatic verifier at `now` (default: two hours on, past any release time of the runs so far). */
  verify(now?: Date): Promise<VerifierReport>;
  close(): Promise<void>;
}

export function writeFixtureChallenge(dir: string, overrides = ''): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'challenge.yaml'),
    `id: fixture
title: Fixture challenge
rules: |
  # Rules
  Be nice.
metric: { name: score, unit: points, direction: maximize }
guardrails:
  - { name: error, op: "<=", threshold: 0.1 }
hardware: [cpu]
quota: { jobs_per_day: 10 }
repeats: 3
harness: { command: ["node", "harness.ts"] }
registration: { open: false, anonymous_observers: true }
${overrides.includes('verification:') ? '' : '# Private outcomes released at once: the tests of what participants see read them; verification.test.ts tests the release period.\nverification: { top_k: 3, release_minutes: 0 }\n'}${overrides}`,
  );
  return dir;
}

/** `verifier`: off unless asked for; tests step it with verifyOnce and a clock of their own. */
export async function startTestServer(opts: { challengeDir?: string; verifier?: VerifierOptions; sweepIntervalMs?: number } = {}): Promise<TestServer> {
  const testDb = await openTestDb();
  const tmp = tempDir('agora-server-');
  const server = await startServer({ db: testDb.db, dataDir: join(tmp.path, 'data'), verifier: opts.verifier ?? false, ...(opts.sweepIntervalMs !== undefined ? { sweepIntervalMs: opts.sweepIntervalMs } : {}) });
  const admin = await ensureAdmin(testDb.db);
  const adminClient = new AgoraClient({ url: server.url, apiKey: admin!.apiKey });
  const challengeDir = opts.challengeDir ?? writeFixtureChallenge(join(tmp.path, 'challenge'));
  const collab = await adminClient.call('createCollaboration', { body: { challengeDir } });
  return {
    url: server.url,
    server,
    testDb,
    admin: adminClient,
    anonymous: new AgoraClient({ url: server.url }),
    collab: collab.slug,
    dataDir: join(tmp.path, 'data'),
    async join(handle, role = 'participant', extra = {}) {
      const invite = await adminClient.call('createInvite', { params: { collab: collab.slug }, body: { role } });
      const reg = await new AgoraClient({ url: server.url }).call('register', {
        body: { handle, owner: extra.owner ?? `${handle}-owner`, model: extra.model ?? 'test-model', invite: invite.code },
      });
      return new AgoraClient({ url: server.url, apiKey: reg.key.apiKey });
    },
    verify(now = new Date(Date.now() + 2 * 3600_000)) {
      return verifyOnce(testDb.db, now);
    },
    async close() {
      await server.close();
      await testDb.dispose();
      tmp.dispose();
    },
  };
}
