/**
 * The tiny-lm harness: scores one submission on one split and returns a HarnessResult.
 *
 * It starts the submission as a separate process (sandboxed when the runner says how) and sends it
 * the requests this job drew from the split's pools (harness/data.ts: which ones and in which
 * order come from a per-job seed) over stdin/stdout, one at a time. It times each answer itself,
 * fails the job when an answer arrives before its request was written, and scores the answers
 * itself with the trusted reference model (score.ts):
 *   - metric tokens_per_second: emitted tokens / time spent answering, one sample per repeat;
 *   - guardrail perplexity: from the prompt log-probabilities the submission returned for the
 *     held-out text requests (mixed among the prompt requests, shaped alike, lengths from one
 *     distribution); the log-probabilities of every request, prompts included, must also agree
 *     with the reference model's;
 *   - guardrail decode_fidelity: the share of emitted tokens, over all timed requests, that the
 *     reference model (teacher-forced on the submission's own output) ranks first or within the
 *     calibrated tolerance of first (@agora/core metrics/fidelity.ts);
 *   - exact match against the reference greedy decodes, reported in extra.
 * Where challenge.yaml names a baseline (significance.baseline), the baseline runs the very
 * requests of each repeat right after the submission, on the same machine, and the result carries
 * its samples (extra.interleaved_baseline), so that every result has its ratio to the baseline.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname, isAbsolute } from 'node:path';
import { cpus, availableParallelism, platform, arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ChallengeSpec, HarnessResult } from '@agora/core';
import { loadWeights, type Weights } from './reference.ts';
import { SubmissionProcess, SubmissionFailure, readManifest, sandboxKind } from './client.ts';
import { drawRequests, newJobSeed, privatePools, requestId, PER_REPEAT, type Pools, type TextItem } from './data.ts';
import { scoreAnswers, type Answer, type Item } from './score.ts';

export const HARNESS_NAME = 'tiny-lm';
export const HARNESS_VERSION = '2.0.0';

export const CHALLENGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface Settings {
  max_tokens: number;
  warmup_requests: number;
  fidelity_tolerance: number;
  /** Perplexity also fails when the returned log-probabilities differ from the reference's by more than this, on average (nats). */
  logprob_gap_limit: number;
  startup_timeout_ms: number;
  request_timeout_ms: number;
}

export interface HarnessOptions {
  submission: string;
  split: string;
  challengeDir?: string;
  /** Overrides challenge.yaml's repeats (tests, quick local runs). */
  repeats?: number;
  requestTimeoutMs?: number;
  startupTimeoutMs?: number;
  /** The job's seed (which requests, in which order); a fresh random one when absent. Reproduces a job. */
  seed?: string;
  /** Where the private split's seed is read from (AGORA_TINY_LM_PRIVATE_SEED); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** A baseline submission folder to interleave; default challenge.yaml's significance.baseline; null: none. */
  interleaveBaseline?: string | null;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function loadSettings(challengeDir = CHALLENGE_DIR): Settings {
  return readJson<Settings>(join(challengeDir, 'harness', 'settings.json'));
}

export function loadSpec(challengeDir = CHALLENGE_DIR): ChallengeSpec {
  return ChallengeSpec.parse(parseYaml(readFileSync(join(challengeDir, 'challenge.yaml'), 'utf8')));
}

export function encodeWith(chars: string, text: string): number[] {
  const out: number[] = [];
  for (const c of text) {
    const i = chars.indexOf(c);
    out.push(i >= 0 ? i : chars.length - 1);
  }
  return out;
}

/** The pools of a split: files for the public one, generated from the runner's secret seed for the private one. */
export function loadPools(challengeDir: string, split: string, env: NodeJS.ProcessEnv = process.env): Pools & { decodes: Record<string, number[]> } {
  if (split === 'private') return { ...privatePools(env), decodes: {} };
  const dir = join(challengeDir, 'data', split);
  if (!existsSync(dir)) throw new Error(`no data for split "${split}" (${dir})`);
  const ref = readJson<{ decodes: Record<string, number[]> }>(join(dir, 'reference.json'));
  return { prompts: readJson<TextItem[]>(join(dir, 'prompts.json')), heldout: readJson<TextItem[]>(join(dir, 'heldout.json')), source: 'files', decodes: ref.decodes };
}

/** Warm-up prompts: their own texts, so that nothing learnt from them can be replayed later. */
export function loadWarmup(challengeDir: string, chars: string): Item[] {
  return readJson<TextItem[]>(join(challengeDir, 'data', 'warmup.json')).map((x) => ({ id: x.id, kind: 'warmup', prompt: encodeWith(chars, x.text), reference: null }));
}

export interface PlannedRequest {
  /** The opaque id the request is sent with. */
  id: string;
  /** -1 for the warm-up requests. */
  repeat: number;
  item: Item;
}

/**
 * Everything one job sends, in order: the warm-up requests (repeat -1), then each repeat's draw.
 * The harness runs from this plan; a test uses it to play a submission that knows it in advance.
 */
export function planJob(challengeDir: string, split: string, repeats: number, seed: string, env?: NodeJS.ProcessEnv): { plan: PlannedRequest[]; pools: Pools } {
  const W = loadWeights(join(challengeDir, 'model'));
  const chars = W.cfg.vocab_chars;
  const pools = loadPools(challengeDir, split, env);
  const warmup = loadWarmup(challengeDir, chars);
  const settings = loadSettings(challengeDir);
  const toItem = (kind: 'prompt' | 'heldout', x: TextItem): Item => ({ id: x.id, kind, prompt: encodeWith(chars, x.text), reference: pools.decodes[x.id] ?? null });
  const plan: PlannedRequest[] = [];
  let n = 0;
  for (let k = 0; k < settings.warmup_requests; k++) plan.push({ id: requestId(seed, n++), repeat: -1, item: warmup[k % warmup.length] as Item });
  drawRequests(pools, repeats, seed).forEach((rep, r) => {
    for (const d of rep) plan.push({ id: requestId(seed, n++), repeat: r, item: toItem(d.kind, d.item) });
  });
  return { plan, pools };
}

export function environment(sandbox: string): Record<string, unknown> {
  const c = cpus();
  return {
    cpu_model: c[0]?.model ?? 'unknown',
    cpu_count: availableParallelism(),
    node_version: process.version,
    platform: platform(),
    arch: arch(),
    harness: HARNESS_NAME,
    harness_version: HARNESS_VERSION,
    sandbox,
  };
}

function validateAnswer(raw: string, wantId: string, item: Item, maxTokens: number, vocab: number): { tokens: number[]; promptLogprobs: number[] } {
  const where = `request ${wantId}`;
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    throw new SubmissionFailure('protocol_error', `${where}: stdout line is not JSON: ${JSON.stringify(raw.slice(0, 200))}. Print only protocol lines on stdout (logs go to stderr).`);
  }
  const m = msg as { id?: unknown; choices?: unknown };
  if (m === null || typeof m !== 'object') throw new SubmissionFailure('protocol_error', `${where}: answer is not a JSON object`);
  if (m.id !== wantId) throw new SubmissionFailure('protocol_error', `${where}: answer carries id ${JSON.stringify(m.id)}; answers must come in order and echo the request's id`);
  const choice = Array.isArray(m.choices) ? (m.choices[0] as { tokens?: unknown; prompt_logprobs?: unknown } | undefined) : undefined;
  if (!choice || typeof choice !== 'object') throw new SubmissionFailure('protocol_error', `${where}: answer has no choices[0]`);
  const tokens = choice.tokens;
  if (!Array.isArray(tokens) || tokens.length !== maxTokens || !tokens.every((t) => Number.isInteger(t) && t >= 0 && t < vocab))
    throw new SubmissionFailure('protocol_error', `${where}: choices[0].tokens must be exactly max_tokens=${maxTokens} token ids in 0..${vocab - 1} (end-of-text is ignored: always emit max_tokens)`);
  const lp = choice.prompt_logprobs;
  const n = item.prompt.length;
  if (!Array.isArray(lp) || lp.length !== n || lp[0] !== null || !lp.slice(1).every((x) => typeof x === 'number' && Number.isFinite(x) && x <= 1e-4))
    throw new SubmissionFailure('protocol_error', `${where}: choices[0].prompt_logprobs must be [null, then ${n - 1} finite log-probabilities <= 0], one per prompt token (echo=true, logprobs=0)`);
  return { tokens: tokens as number[], promptLogprobs: lp.slice(1) as number[] };
}

/** A started submission (or baseline) that answers the plan's requests one at a time. */
export class Server {
  readonly proc: SubmissionProcess;
  private readonly o: { maxTokens: number; vocab: number; requestTimeout: number };
  constructor(proc: SubmissionProcess, o: { maxTokens: number; vocab: number; requestTimeout: number }) {
    this.proc = proc;
    this.o = o;
  }

  static async start(dir: string, startupTimeout: number, opts: { maxTokens: number; vocab: number; requestTimeout: number }, sandboxed = true): Promise<{ server: Server; startupSeconds: number }> {
    const t0 = performance.now();
    const proc = new SubmissionProcess(dir, readManifest(dir), { sandboxed });
    const server = new Server(proc, opts);
    try {
      const ready = await proc.readLine(startupTimeout, 'the ready line', 'startup');
      let msg: unknown = null;
      try {
        msg = JSON.parse(ready);
      } catch {
        /* reported below */
      }
      if ((msg as { ready?: unknown } | null)?.ready !== true)
        throw new SubmissionFailure('protocol_error', `the first stdout line must be {"ready":true}, got ${JSON.stringify(ready.slice(0, 200))}`);
    } catch (e) {
      await proc.stop(100);
      throw e;
    }
    return { server, startupSeconds: (performance.now() - t0) / 1000 };
  }

  async ask(req: PlannedRequest): Promise<Answer> {
    // Give the event loop one turn to read whatever the process has already written: an answer
    // that is there before its request is written was not computed from the request.
    await new Promise<void>((res) => setImmediate(res));
    if (this.proc.hasUnreadOutput())
      throw new SubmissionFailure('protocol_error', `an answer arrived before request ${req.id} was written: answers must be computed from their request (a submission cannot know the requests in advance)`);
    const body = { id: req.id, prompt: req.item.prompt, max_tokens: this.o.maxTokens, temperature: 0, echo: true, logprobs: 0 };
    const start = performance.now();
    this.proc.send(body);
    const line = await this.proc.readLine(this.o.requestTimeout, `request ${req.id}`, 'request');
    const seconds = (performance.now() - start) / 1000;
    return { ...validateAnswer(line, req.id, req.item, this.o.maxTokens, this.o.vocab), seconds };
  }

  /** After the last answer: nothing else may have been written. */
  async finish(): Promise<void> {
    await new Promise<void>((res) => setImmediate(res));
    if (this.proc.hasUnreadOutput()) throw new SubmissionFailure('protocol_error', 'output arrived after the last answer, for no request: answers must be computed from their request');
  }
}

export async function runHarness(opts: HarnessOptions): Promise<HarnessResult> {
  const challengeDir = opts.challengeDir ?? CHALLENGE_DIR;
  const spec = loadSpec(challengeDir);
  const settings = loadSettings(challengeDir);
  const W: Weights = loadWeights(join(challengeDir, 'model'));
  const repeats = opts.repeats ?? spec.repeats;
  const seed = opts.seed ?? newJobSeed();
  const { plan, pools } = planJob(challengeDir, opts.split, repeats, seed, opts.env);
  const maxTokens = settings.max_tokens;
  const io = { maxTokens, vocab: W.cfg.vocab, requestTimeout: opts.requestTimeoutMs ?? settings.request_timeout_ms };
  const startupTimeout = opts.startupTimeoutMs ?? settings.startup_timeout_ms;
  for (const q of plan) if (q.item.prompt.length + maxTokens > W.cfg.ctx) throw new Error(`request ${q.item.id} does not fit the context (${q.item.prompt.length} + ${maxTokens} > ${W.cfg.ctx})`);
  const baselineRel = opts.interleaveBaseline === undefined ? spec.significance.baseline : opts.interleaveBaseline;
  const baselineDir = baselineRel ? (isAbsolute(baselineRel) ? baselineRel : join(challengeDir, baselineRel)) : null;

  const t0 = performance.now();
  const base = {
    harness: { name: HARNESS_NAME, version: HARNESS_VERSION },
    split: opts.split,
    metric: { name: spec.metric.name, unit: spec.metric.unit, direction: spec.metric.direction, samples: [] as number[] },
  };
  const settingsOut = {
    request_seed: seed, prompts_per_repeat: PER_REPEAT.prompts, heldout_per_repeat: PER_REPEAT.heldout,
    prompt_pool: pools.prompts.length, heldout_pool: pools.heldout.length,
    // the private pools come from the runner's secret; a development machine without one says so
    data_source: pools.source,
  };
  let sub: Server | null = null;
  let baseline: { server: Server | null; samples: number[]; error: string | null; startupSeconds: number | null } | null = null;
  const answers: { item: Item; repeat: number; answer: Answer }[] = [];
  let startupSeconds = 0;
  let warmupSeconds = 0;
  // Known before the start: a submission that dies while starting still ran in this sandbox.
  const sandbox = sandboxKind();
  try {
    const started = await Server.start(opts.submission, startupTimeout, io);
    sub = started.server;
    startupSeconds = started.startupSeconds;
    const w0 = performance.now();
    for (const q of plan.filter((x) => x.repeat < 0)) await sub.ask(q);
    warmupSeconds = (performance.now() - w0) / 1000;
    if (baselineDir) baseline = await startBaseline(baselineDir, startupTimeout, io, plan);
    for (let r = 0; r < repeats; r++) {
      const reqs = plan.filter((x) => x.repeat === r);
      let tokens = 0;
      let seconds = 0;
      for (const q of reqs) {
        const answer = await sub.ask(q);
        answers.push({ item: q.item, repeat: r, answer });
        tokens += answer.tokens.length;
        seconds += answer.seconds;
      }
      base.metric.samples.push(tokens / seconds);
      if (baseline?.server) await timeBaseline(baseline, reqs);
    }
    await sub.finish();
  } catch (e) {
    if (sub) await sub.proc.stop(100);
    if (baseline?.server) await baseline.server.proc.stop(100);
    if (e instanceof SubmissionFailure) {
      return HarnessResult.parse({
        ...base,
        status: 'failed',
        failure: { code: e.code, reason: e.message.slice(0, 4000) },
        environment: environment(sandbox),
        extra: { completed_requests: answers.length, startup_seconds: startupSeconds, settings: settingsOut },
      });
    }
    throw e;
  }
  await sub.proc.stop();
  if (baseline?.server) await baseline.server.proc.stop();
  const runSeconds = (performance.now() - t0) / 1000;

  const s0 = performance.now();
  const scored = scoreAnswers(W, answers, spec, settings, repeats);
  const meanTps = base.metric.samples.reduce((a, x) => a + x, 0) / Math.max(1, base.metric.samples.length);
  const lat = answers.map((a) => a.answer.seconds).sort((a, b) => a - b);
  const q = (p: number): number => (lat.length === 0 ? 0 : (lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] as number));
  const parameters = W.cfg.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const setSize = PER_REPEAT.prompts + PER_REPEAT.heldout;
  return HarnessResult.parse({
    ...base,
    status: 'ok' as const,
    failure: null,
    guardrails: scored.guardrails,
    samples: scored.samples,
    environment: environment(sandbox),
    extra: {
      ...scored.extra,
      settings: settingsOut,
      requests_per_repeat: setSize,
      tokens_per_repeat: setSize * maxTokens,
      repeats,
      max_tokens: maxTokens,
      warmup_requests: settings.warmup_requests,
      fidelity_tolerance: settings.fidelity_tolerance,
      ...(baseline ? { interleaved_baseline: baselineOut(baselineRel!, baseline, base.metric.samples) } : {}),
      timings: {
        startup_seconds: startupSeconds,
        warmup_seconds: warmupSeconds,
        run_seconds: runSeconds,
        scoring_seconds: (performance.now() - s0) / 1000,
        latency_p50_seconds: q(0.5),
        latency_p90_seconds: q(0.9),
      },
      model: { parameters, layers: W.cfg.layers, d: W.cfg.d, ctx: W.cfg.ctx, vocab: W.cfg.vocab },
      // the claims-check arithmetic: at batch 1 every token reads every weight at least once
      roofline: {
        weight_bytes_float32: parameters * 4,
        implied_weight_read_gb_per_s: Number(((meanTps * parameters * 4) / 1e9).toFixed(4)),
        note: 'tokens/s x float32 weight bytes: the weight traffic a batch-1 decoder must sustain (a lower bound; the weights fit in cache here, so this challenge is compute-bound)',
      },
    },
  });
}

type Baseline = { server: Server | null; samples: number[]; error: string | null; startupSeconds: number | null };

/** The challenge's own baseline: trusted code, so it runs outside the submission sandbox; warmed up like the submission. */
async function startBaseline(dir: string, startupTimeout: number, io: { maxTokens: number; vocab: number; requestTimeout: number }, plan: PlannedRequest[]): Promise<Baseline> {
  try {
    const { server, startupSeconds } = await Server.start(dir, startupTimeout, io, false);
    for (const q of plan.filter((x) => x.repeat < 0)) await server.ask(q);
    return { server, samples: [], error: null, startupSeconds };
  } catch (e) {
    if (!(e instanceof SubmissionFailure)) throw e;
    return { server: null, samples: [], error: `${e.code}: ${e.message.slice(0, 1000)}`, startupSeconds: null };
  }
}

/** The baseline answers the repeat's very requests, in the same order; a baseline failure drops it, never the job. */
async function timeBaseline(b: Baseline, reqs: PlannedRequest[]): Promise<void> {
  try {
    let tokens = 0;
    let seconds = 0;
    for (const q of reqs) {
      const a = await b.server!.ask(q);
      tokens += a.tokens.length;
      seconds += a.seconds;
    }
    b.samples.push(tokens / seconds);
  } catch (e) {
    if (!(e instanceof SubmissionFailure)) throw e;
    b.error = `${e.code}: ${e.message.slice(0, 1000)}`;
    await b.server!.proc.stop(100);
    b.server = null;
  }
}

function baselineOut(rel: string, b: Baseline, samples: number[]): Record<string, unknown> {
  const ratios = b.samples.map((x, i) => (samples[i] as number) / x);
  return {
    submission: rel, samples: b.samples, error: b.error, startup_seconds: b.startupSeconds,
    speedup_per_repeat: ratios,
    note: 'the baseline ran each repeat\'s requests right after the submission, on the same machine; the leaderboard pools log(speedup) per repeat (docs/decisions/0105)',
  };
}
