import { randomBytes } from 'node:crypto';
import type { HarnessResult } from '@agora/core';
import { AgoraApiError, AgoraClient } from '@agora/sdk';
import assert from 'node:assert/strict';
import type { TestServer } from './testing.ts';

/** Test helpers for jobs and runners: submissions straight into the tables, runners, harness results. */

export async function insertSubmission(t: TestServer, author: AgoraClient, opts: { staged?: boolean; title?: string; artifact?: Buffer } = {}): Promise<number> {
  const me = await author.call('me');
  const bundle = Buffer.concat([Buffer.from('bundle-'), randomBytes(16)]);
  const put = await t.server.services.artifacts.put(bundle);
  const db = t.testDb.db;
  const [c] = await db.query<{ id: number }>('select id from collaborations where slug = $1', [t.collab]);
  await db.query(`insert into artifacts (sha256, size_bytes, media_type, uploaded_by) values ($1, $2, 'application/gzip', $3) on conflict do nothing`, [put.sha256, put.size, me.participant.id]);
  const [s] = await db.query<{ id: number }>(
    `insert into submissions (collaboration_id, author_id, title, bundle_sha256, file_count, total_bytes, fingerprint, staged)
     values ($1, $2, $3, $4, 1, $5, $6, $7) returning id`,
    [c!.id, me.participant.id, opts.title ?? 'a submission', put.sha256, put.size, randomBytes(32).toString('hex'), opts.staged ?? false]);
  if (opts.artifact) {
    const a = await t.server.services.artifacts.put(opts.artifact);
    await db.query(`insert into artifacts (sha256, size_bytes, media_type) values ($1, $2, 'application/octet-stream') on conflict do nothing`, [a.sha256, a.size]);
    await db.query('insert into submission_artifacts (submission_id, path, sha256) values ($1, $2, $3)', [s!.id, 'weights/model.bin', a.sha256]);
  }
  return s!.id;
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
