// A real server (PGlite or PostgreSQL per AGORA_TEST_ENGINE) with the echo fixture challenge,
// for the runner's integration tests: submit jobs, start runners, wait for outcomes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@agora/core';
import type { AgoraClient } from '@agora/sdk';
import { countJobResults, expireJobLease } from '@agora/store/testing';
import { startTestServer, type TestServer } from '../../server/src/testing.ts';
import { startRunner, type RunnerOptions, type RunningRunner } from './runner.ts';
import { FIXTURES } from './testing.ts';

/** main.js: prints `score 40`, waits `pauseMs`, prints `score 41`. */
export const submissionFiles = (pauseMs = 0, extra: Record<string, string> = {}) =>
  Object.entries({
    'agora.json': JSON.stringify({ command: ['node', 'main.js'] }),
    'main.js': `console.log("score 40"); setTimeout(() => console.log("score 41"), ${pauseMs});`,
    ...extra,
  }).map(([path, content]) => ({ path, content }));

export const until = async <T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> => {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

export class Testbed {
  t!: TestServer;
  ada!: AgoraClient;
  readonly work = mkdtempSync(join(tmpdir(), 'agora-runner-test-'));
  readonly runners: RunningRunner[] = [];
  /** Every line the runners logged, prefixed with their name. */
  readonly lines: string[] = [];

  async open(): Promise<this> {
    this.t = await startTestServer({ challengeDir: join(FIXTURES, 'echo') });
    this.ada = await this.t.join('ada');
    return this;
  }

  async close(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.stop()));
    await this.t?.close();
    rmSync(this.work, { recursive: true, force: true });
  }

  async submitJob(pauseMs = 0, extra: Record<string, string> = {}, who = this.ada): Promise<Job> {
    const collab = this.t.collab;
    const s = await who.call('createSubmission', { params: { collab }, body: { title: `pause ${pauseMs}`, files: submissionFiles(pauseMs, extra) } });
    return who.call('createJob', { params: { collab }, body: { submissionId: s.submission.id, split: 'public' } });
  }

  getJob(id: number): Promise<Job> {
    return this.ada.call('getJob', { params: { collab: this.t.collab, id } });
  }

  finished(id: number): Promise<Job> {
    return until(`job ${id} to finish`, async () => {
      const j = await this.getJob(id);
      return ['succeeded', 'guardrail_failed', 'failed', 'errored', 'timed_out', 'cancelled'].includes(j.state) ? j : null;
    });
  }

  async logText(id: number): Promise<string> {
    const page = await this.ada.call('jobLogs', { params: { collab: this.t.collab, id } });
    return page.items.map((l) => `${l.stream}: ${l.text}`).join('\n');
  }

  resultCount(id: number): Promise<number> {
    return countJobResults(this.t.testDb.db, id);
  }

  /** Time travel: the job's lease runs out now. */
  expireLease(id: number): Promise<void> {
    return expireJobLease(this.t.testDb.db, id);
  }

  newRunner(name: string, labels = ['cpu', 'x86']) {
    return this.t.admin.call('createRunner', { body: { name, labels } });
  }

  async start(name: string, opts: Partial<RunnerOptions> = {}): Promise<RunningRunner> {
    const { token } = await this.newRunner(name);
    const r = await startRunner({
      url: this.t.url, token, labels: ['cpu', 'x86'], challengesDir: FIXTURES, workDir: join(this.work, name),
      pollMs: 100, heartbeatMs: 300, log: (l) => this.lines.push(`${name}: ${l}`), ...opts,
    });
    this.runners.push(r);
    return r;
  }
}
