// Test helper: `agora serve` as a child process that a test kills with SIGKILL and starts again on
// the same data folder, database and port (so clients keep their address). The database is a
// migrated, empty one from testDatabaseTarget (a PGlite folder or a PostgreSQL database).

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { AgoraClient } from '@agora/sdk';
import { testDatabaseTarget } from '@agora/store/testing';
import { writeFixtureChallenge } from '../../server/src/testing.ts';
import { cliEnv, Running, tmpConfig } from './testing.ts';

export class ChildServer {
  readonly tmp = mkdtempSync(join(tmpdir(), 'agora-crash-'));
  readonly data = join(this.tmp, 'data');
  readonly artifactsDir = join(this.data, 'artifacts');
  readonly env = cliEnv(tmpConfig(this.tmp));
  database: { target: string; dispose(): Promise<void> } | undefined;
  running: Running | undefined;
  port = 0;
  url = '';
  private adminKey = '';

  async prepare(): Promise<this> {
    this.database = await testDatabaseTarget();
    return this;
  }

  /** Starts (or restarts) the server; resolves once it answers, with an organizer's client. */
  async start(): Promise<{ url: string; admin: AgoraClient }> {
    assert.ok(this.database, 'prepare() first');
    const s = new Running(['serve', '--port', String(this.port), '--data', this.data, '--database', this.database.target, '--json'], this.env);
    this.running = s;
    // Generous: on a loaded machine a PGlite start (and its crash recovery) takes a while.
    const ready = JSON.parse((await s.waitFor(/^\{.*\}$/m, 180_000))[0]) as { url: string; adminKey: string | null };
    if (ready.adminKey) this.adminKey = ready.adminKey;
    this.url = ready.url;
    this.port = Number(new URL(ready.url).port);
    return { url: this.url, admin: new AgoraClient({ url: this.url, apiKey: this.adminKey }) };
  }

  /** The host loses the process: no signal handler, no shutdown, no flush. */
  async kill9(): Promise<void> {
    const s = this.running!;
    s.child.kill('SIGKILL');
    const end = await s.exited;
    assert.equal(end.signal, 'SIGKILL', `the server exited on its own before the kill\n${s.stderr}`);
    this.running = undefined;
  }

  async stop(): Promise<void> {
    const s = this.running!;
    s.child.kill('SIGINT');
    const end = await s.exited;
    assert.equal(end.code, 0, s.stderr);
    this.running = undefined;
  }

  async createCollaboration(admin: AgoraClient, challengeDir = writeFixtureChallenge(join(this.tmp, 'challenge'))): Promise<string> {
    return (await admin.call('createCollaboration', { body: { challengeDir } })).slug;
  }

  async join(admin: AgoraClient, collab: string, handle: string): Promise<AgoraClient> {
    const invite = await admin.call('createInvite', { params: { collab }, body: { role: 'participant' } });
    const reg = await new AgoraClient({ url: this.url }).call('register', { body: { handle, owner: `${handle}-owner`, model: 'test-model', invite: invite.code } });
    return new AgoraClient({ url: this.url, apiKey: reg.key.apiKey });
  }

  /** Waits on a condition (never on a fixed time); fails if the server exits meanwhile. */
  async until(what: string, f: () => boolean | Promise<boolean>, ms = 120_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await f())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- server stderr\n${this.running?.stderr ?? ''}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async dispose(): Promise<void> {
    if (this.running) {
      this.running.child.kill('SIGKILL');
      await this.running.exited;
    }
    await this.database?.dispose();
    rmSync(this.tmp, { recursive: true, force: true });
  }
}

/**
 * A loopback HTTP proxy in front of a ChildServer, so that a test can kill the server at one exact
 * point of one request: `before` it reaches the server, or `after` the server answered (its
 * transaction committed) but before the answer reaches the client. The client sees a dropped
 * connection either way, as when the host dies.
 */
export class CutProxy {
  private readonly http: Server;
  private cut: { match: (method: string, path: string) => boolean; when: 'before' | 'after'; onCut: () => Promise<void>; done: () => void } | undefined;
  url = '';
  private readonly target: () => string;

  constructor(target: () => string) {
    this.target = target;
    this.http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.forward(req, res, Buffer.concat(chunks)));
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.http.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    return this;
  }

  /** Arms one cut; resolves once it has happened (onCut has run and the client's connection is dropped). */
  cutOnce(match: (method: string, path: string) => boolean, when: 'before' | 'after', onCut: () => Promise<void>): Promise<void> {
    return new Promise((done) => (this.cut = { match, when, onCut, done }));
  }

  private async forward(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const cut = this.cut && this.cut.match(req.method ?? '', req.url ?? '') ? this.cut : undefined;
    if (cut) this.cut = undefined;
    const drop = async () => {
      await cut!.onCut();
      res.socket?.destroy();
      cut!.done();
    };
    if (cut?.when === 'before') return drop();
    const up = request(`${this.target()}${req.url}`, { method: req.method, headers: { ...req.headers, host: new URL(this.target()).host }, agent: false }, (answer) => {
      if (cut) {
        answer.resume();
        void drop();
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    // The server is down (killed, restarting): the client sees what it would see without the proxy.
    up.on('error', () => res.socket?.destroy());
    up.end(body);
  }

  close(): Promise<void> {
    this.http.closeAllConnections();
    return new Promise((r) => this.http.close(() => r()));
  }
}
