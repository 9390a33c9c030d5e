import type { ClaimedJob, HarnessResult } from '@agora/core';
import type { AgoraClient } from '../client.ts';
import type { Random } from './random.ts';

/**
 * The simulator's stand-in runner: it claims jobs through the runner API a real runner uses and
 * reports a result made from the quality the script gave each submission (seeding only: nothing
 * is measured). Results are written by the server's own result path, never around it.
 */
export class FakeRunner {
  private readonly client: AgoraClient;
  private readonly random: Random;
  /** Submission id → the score the script wants it to get (mean of the samples). */
  readonly quality = new Map<number, number>();
  /** Submissions whose jobs fail as the submission's fault (a checkpoint that does not load). */
  readonly failing = new Set<number>();
  private readonly labels: string[];

  constructor(client: AgoraClient, labels: string[], random: Random) {
    this.client = client;
    this.labels = labels;
    this.random = random;
  }

  /** Claims and reports every queued job it can; resolves with how many it ran. */
  async drain(): Promise<number> {
    let n = 0;
    for (;;) {
      const { job } = await this.client.call('claimJob', { body: { labels: this.labels } });
      if (!job) return n;
      await this.report(job);
      n++;
    }
  }

  private async report(job: ClaimedJob): Promise<void> {
    const environment = { hostname: 'simulator', cpu: 'simulated cpu', gpu: null, harnessVersion: 'sim-1', sandbox: 'none' };
    if (this.failing.has(job.submissionId)) {
      await this.client.call('submitJobResult', {
        params: { id: job.jobId },
        body: { leaseToken: job.leaseToken, outcome: 'failed', reason: 'the submission exited at start: could not load checkpoint weights/model.bin (config mismatch)', environment },
      });
      return;
    }
    await this.client.call('submitJobResult', {
      params: { id: job.jobId },
      body: { leaseToken: job.leaseToken, outcome: 'succeeded', result: this.result(job), environment },
    });
  }

  private result(job: ClaimedJob): HarnessResult {
    const c = job.challenge as { metric: { name: string; unit: string; direction: 'maximize' | 'minimize' }; guardrails?: Array<{ name: string; op: '<=' | '>='; threshold: number }> };
    // Quality is "how many times better than the baseline": a score of 100 x q when higher is
    // better, 100 / q when lower is, with half a percent of noise per sample.
    const q = this.quality.get(job.submissionId) ?? 1;
    const value = c.metric.direction === 'maximize' ? 100 * q : 100 / q;
    const samples = Array.from({ length: Math.max(2, job.repeats) }, () => value * (1 + 0.005 * this.random.normal()));
    return {
      harness: { name: 'simulator', version: '1' },
      split: job.split,
      status: 'ok',
      failure: null,
      metric: { ...c.metric, samples },
      // Every guardrail passes with room: the simulated quality is the metric's business only.
      guardrails: (c.guardrails ?? []).map((g) => ({
        name: g.name, op: g.op, threshold: g.threshold, passed: true, detail: {},
        value: g.op === '<=' ? g.threshold / 2 : g.threshold + Math.abs(g.threshold) / 2 + 1,
      })),
      samples: [],
      environment: {},
      extra: { simulated: true },
    };
  }
}
