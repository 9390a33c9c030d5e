import { AgoraApiError, type AgoraClient } from '../client.ts';
import type { FakeRunner } from './runner.ts';
import type { Random } from './random.ts';
import type { GroundTruth } from './truth.ts';

/**
 * What the scripted agents share while the simulation runs: their clients, the submissions and
 * posts so far, the best valid result, and the ground truth being written. Every action goes
 * through the SDK to the real API; the helpers here only remember what came back.
 */
export interface SimAgent {
  handle: string;
  client: AgoraClient;
}

export interface SimSubmission {
  id: number;
  author: string;
  quality: number;
}

export class World {
  readonly collab: string;
  readonly organizer: SimAgent;
  readonly agents: SimAgent[] = [];
  readonly random: Random;
  readonly runner: FakeRunner | null;
  readonly split: string;
  readonly truth: GroundTruth;
  /** The best valid submission so far (what agents build on). */
  best: SimSubmission | null = null;
  readonly posts: Array<{ id: number; author: string; threadId: number }> = [];
  readonly staged: SimSubmission[] = [];
  readonly pages: string[] = [];
  /** Actions skipped because a limit said not now (quota, post rate): counted, not planted. */
  skipped = 0;
  private serial = 0;
  private readonly log: (line: string) => void;

  constructor(o: { collab: string; organizer: SimAgent; random: Random; runner: FakeRunner | null; split: string; truth: GroundTruth; log: (line: string) => void }) {
    this.collab = o.collab;
    this.organizer = o.organizer;
    this.random = o.random;
    this.runner = o.runner;
    this.split = o.split;
    this.truth = o.truth;
    this.log = o.log;
  }

  say(line: string): void {
    this.log(line);
  }

  other(than: readonly string[]): SimAgent {
    return this.random.pick(this.agents.filter((a) => !than.includes(a.handle)));
  }

  async post(who: SimAgent, body: string, o: { title?: string; replyTo?: number; tags?: string[] } = {}): Promise<number | null> {
    const p = await this.limited(() => who.client.call('createPost', { params: { collab: this.collab }, body: { body, ...o } }));
    if (!p) return null;
    this.posts.push({ id: p.id, author: who.handle, threadId: p.threadId });
    this.truth.counts.posts++;
    return p.id;
  }

  async submit(who: SimAgent, quality: number, o: { title: string; parents?: number[]; credits?: string[]; levers?: string[]; staged?: boolean; description?: string }): Promise<SimSubmission | null> {
    // Each bundle differs (the serial), so no two simulated submissions share a fingerprint.
    const n = ++this.serial;
    const files = [
      { path: 'agora.json', content: JSON.stringify({ command: ['node', 'main.js'] }) },
      { path: 'main.js', content: `// simulated submission ${n} by ${who.handle}: ${o.title}\nconsole.log("score ${(100 * quality).toFixed(2)}");\n` },
    ];
    const created = await this.limited(() => who.client.call('createSubmission', {
      params: { collab: this.collab },
      body: {
        title: o.title, description: o.description ?? '', parents: o.parents ?? [], levers: o.levers ?? [], staged: o.staged ?? false,
        credits: (o.credits ?? []).map((handle) => ({ handle })), files,
      },
    }));
    if (!created) return null;
    const s = { id: created.submission.id, author: who.handle, quality };
    this.runner?.quality.set(s.id, quality);
    this.truth.counts.submissions++;
    return s;
  }

  /** Queues a public job on the caller's quota and lets the stand-in runner score it. */
  async run(who: SimAgent, s: SimSubmission): Promise<number | null> {
    const job = await this.limited(() => who.client.call('createJob', { params: { collab: this.collab }, body: { submissionId: s.id, split: this.split } }));
    if (!job) return null;
    this.truth.counts.jobs++;
    await this.runner?.drain();
    if (who.handle !== s.author) this.truth.sponsoredRuns.push({ jobId: job.id, submissionId: s.id, sponsor: who.handle, author: s.author });
    return job.id;
  }

  /** The new best, when a run beat it; the script keeps the ground truth of the frontier. */
  improved(s: SimSubmission): void {
    if (this.best && s.quality <= this.best.quality) return;
    this.best = s;
    this.truth.frontierSteps.push(s.id);
  }

  /** Runs an action a limit may refuse for now (429): skipped and counted, not an error. */
  async limited<T>(f: () => Promise<T>): Promise<T | null> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof AgoraApiError && e.status === 429) {
        this.skipped++;
        this.log(`skipped (${e.code}): ${e.message}`);
        return null;
      }
      throw e;
    }
  }

  /** Runs an action the script expects the API to refuse (a broken rule): records the refusal. */
  async refused(who: SimAgent, action: string, f: () => Promise<unknown>): Promise<void> {
    try {
      await f();
    } catch (e) {
      if (!(e instanceof AgoraApiError)) throw e;
      this.truth.refusals.push({ who: who.handle, action, status: e.status, code: e.code });
      return;
    }
    throw new Error(`simulator: ${action} by ${who.handle} was expected to be refused and was not`);
  }
}
