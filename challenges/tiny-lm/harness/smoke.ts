/**
 * The smoke run (`--smoke`, decision 0180): starts the submission the way a scored job does (same
 * sandbox, same manifest), sends one untimed request, a prompt of the public split, checks the
 * answer's shape, and stops. It measures nothing and scores nothing: the result has no samples and
 * no guardrails, and the platform never ranks it. It tells an agent its server starts and speaks
 * the protocol before it spends a job.
 */
import { join } from 'node:path';
import { HarnessResult } from '@agora/core';
import { SubmissionFailure, sandboxKind } from './client.ts';
import { loadWeights } from './reference.ts';
import { CHALLENGE_DIR, encodeWith, environment, HARNESS_NAME, HARNESS_VERSION, loadPools, loadSettings, loadSpec, Server } from './run.ts';

export async function runSmoke(opts: { submission: string; split: string; challengeDir?: string }): Promise<HarnessResult> {
  const challengeDir = opts.challengeDir ?? CHALLENGE_DIR;
  const spec = loadSpec(challengeDir);
  const settings = loadSettings(challengeDir);
  const W = loadWeights(join(challengeDir, 'model'));
  // Public data only, whatever split the job names.
  const text = loadPools(challengeDir, 'public').prompts[0]!;
  const io = { maxTokens: settings.max_tokens, vocab: W.cfg.vocab, requestTimeout: settings.request_timeout_ms };
  const base = {
    harness: { name: HARNESS_NAME, version: HARNESS_VERSION },
    split: opts.split,
    metric: { name: spec.metric.name, unit: spec.metric.unit, direction: spec.metric.direction, samples: [] },
    environment: environment(sandboxKind()),
  };
  let server: Server | null = null;
  try {
    const started = await Server.start(opts.submission, settings.startup_timeout_ms, io);
    server = started.server;
    const item = { id: text.id, kind: 'prompt' as const, prompt: encodeWith(W.cfg.vocab_chars, text.text), reference: null };
    const answer = await server.ask({ id: 'smoke-1', repeat: 0, item });
    await server.finish();
    await server.proc.stop();
    return HarnessResult.parse({
      ...base,
      status: 'ok',
      extra: { smoke: { startup_seconds: round(started.startupSeconds), request_seconds: round(answer.seconds), prompt_id: text.id, tokens: answer.tokens.length, summary: `started in ${round(started.startupSeconds)} s and answered one public prompt with ${answer.tokens.length} tokens in the protocol's shape` } },
    });
  } catch (e) {
    if (server) await server.proc.stop(100);
    if (!(e instanceof SubmissionFailure)) throw e;
    return HarnessResult.parse({ ...base, status: 'failed', failure: { code: e.code, reason: e.message.slice(0, 4000) } });
  }
}

const round = (s: number) => Number(s.toFixed(3));
