import { randomBytes } from 'node:crypto';
import type { HarnessResult } from '@agora/core';
import { AgoraApiError, AgoraClient } from '@agora/sdk';
import assert from 'node:assert/strict';
import type { TestServer } from './testing.ts';

/** Test helpers for jobs and runners: submissions straight into the tables, runners, harness results. */

/** A submission through the submissions API (inline files; an optional large artifact uploaded first). */
export async function insertSubmission(t: TestServer, author: AgoraClient, opts: { staged?: boolean; title?: string; artifact?: Buffer } = {}): Promise<number> {
  const artifacts = [];
  if (opts.artifact) {
    const res = await author.raw(`/v1/collaborations/${t.collab}/artifacts`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: opts.artifact });
    assert.equal(res.status, 201, await res.clone().text());
    const { sha256 } = (await res.json()) as { sha256: string };
    artifacts.push({ path: 'weights/model.bin', sha256 });
  }
  const created = await author.call('createSubmission', {
    params: { collab: t.collab },
    body: {
      title: opts.title ?? 'a submission', staged: opts.staged ?? false, artifacts,
      files: [{ path: 'serve.py', content: `print("bundle-${randomBytes(8).toString('hex')}")\n` }],
    },
  });
  return created.submission.id;
}

export async function newRunner(t: TestServer, labels = ['cpu'], name = 'runner-1'): Promise<{ client: AgoraClient; id: number; token: string }> {
  const r = await t.admin.call('createRunner', { body: { name, labels } });
  return { client: new AgoraClient({ url: t.url, apiKey: r.token }), id: r.runnerId, token: r.token };
}

export const ENV = { hostname: 'host-a', cpu: 'AMD EPYC 7R32', gpu: null, harnessVersion: '1', sandbox: 'bwrap' };
export const GPU_ENV = { hostname: 'host-g', cpu: 'AMD EPYC 7R32', gpu: 'NVIDIA A10G', driver: '550.54', harnessVersion: '1', sandbox: 'bwrap' };

export function harnessResult(split: string, samples: number[], opts: { guardrailPassed?: boolean; status?: 'ok' | 'failed' } = {}): HarnessResult {
  const passed = opts.guardrailPassed ?? true;
  return {
    harness: { name: 'fixture', version: '1' },
    split,
    status: opts.status ?? 'ok',
    failure: opts.status === 'failed' ? { code: 'crash', reason: 'the submission exited with code 1 at import' } : null,
    metric: { name: 'score', unit: 'points', direction: 'maximize', samples },
    guardrails: [{ name: 'error', value: passed ? 0.05 : 0.5, threshold: 0.1, op: '<=', passed, detail: { prompt: 'SECRET private prompt 17' } }],
    samples: samples.map((s, i) => ({ prompt: `SECRET private prompt ${i}`, score: s })),
    environment: {},
    extra: { note: 'extra data' },
  };
}

/** Claims the next job and reports a result for it. */
export async function runNext(runner: AgoraClient, samples: number[], env: Record<string, unknown> = ENV, guardrailPassed = true) {
  const { job } = await runner.call('claimJob', { body: { labels: ['cpu', 'gpu'] } });
  assert.ok(job, 'a job to claim');
  await runner.call('submitJobResult', {
    params: { id: job.jobId },
    body: { leaseToken: job.leaseToken, outcome: 'succeeded', result: harnessResult(job.split, samples, { guardrailPassed }), environment: env as typeof ENV },
  });
  return job;
}

export const rejects = async (p: Promise<unknown>, status: number, code: string) => {
  let caught: unknown;
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof AgoraApiError, `expected an API error, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.equal(e.status, status);
    caught = e;
    return true;
  });
  return caught as AgoraApiError;
};
