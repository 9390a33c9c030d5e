/**
 * The tiny-lm harness: scores one submission on one split and returns a HarnessResult.
 *
 * It starts the submission as a separate process (sandboxed when the runner says how), sends it every
 * request of the split over stdin/stdout, one at a time, times each answer itself, and scores the
 * answers itself with the trusted reference model:
 *   - metric tokens_per_second: emitted tokens / time spent answering, one sample per repeat;
 *   - guardrail perplexity: from the prompt log-probabilities the submission returned for the
 *     held-out text requests (mixed among the prompt requests and shaped exactly alike);
 *   - guardrail decode_fidelity: the share of emitted tokens, over all timed requests, that the
 *     reference model (teacher-forced on the submission's own output) ranks first or within the
 *     calibrated tolerance of first (@agora/core metrics/fidelity.ts);
 *   - exact match against the stored reference decodes, reported in extra.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { cpus, availableParallelism, platform, arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ChallengeSpec } from '@agora/core';
import { HarnessResult } from '@agora/core';
import { fidelityToken, scoreDecode, type FidelityToken, type DecodeScore } from '@agora/core';
import { loadWeights, forwardAll, logSoftmax, type Weights } from './reference.ts';
import { SubmissionProcess, SubmissionFailure, readManifest } from './client.ts';
import { rng } from '../training/corpus.ts';

export const HARNESS_NAME = 'tiny-lm';
export const HARNESS_VERSION = '1.0.0';

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
}

interface TextItem {
  id: string;
  set: number;
  text: string;
}

interface Item {
  id: string;
  kind: 'prompt' | 'heldout' | 'warmup';
  /** Repeat r of a job sends the items of set r mod (number of sets): no request is sent twice. */
  set: number;
  prompt: number[];
  reference: number[];
}

interface Answer {
  tokens: number[];
  promptLogprobs: number[]; // positions 1..n-1
  seconds: number;
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

/** The requests of a split: prompts and held-out chunks, with their reference decodes. */
export function loadSplit(challengeDir: string, split: string, chars: string): Item[] {
  const dir = join(challengeDir, 'data', split);
  if (!existsSync(dir)) throw new Error(`no data for split "${split}" (${dir})`);
  const prompts = readJson<TextItem[]>(join(dir, 'prompts.json'));
  const heldout = readJson<TextItem[]>(join(dir, 'heldout.json'));
  const ref = readJson<{ decodes: Record<string, number[]> }>(join(dir, 'reference.json'));
  const items: Item[] = [];
  for (const [kind, list] of [['prompt', prompts], ['heldout', heldout]] as const)
    for (const x of list) items.push({ id: x.id, kind, set: x.set, prompt: encodeWith(chars, x.text), reference: ref.decodes[x.id] ?? [] });
  return items;
}

/** Warm-up prompts: their own texts, so that nothing learnt from them can be replayed later. */
export function loadWarmup(challengeDir: string, chars: string): Item[] {
  return readJson<TextItem[]>(join(challengeDir, 'data', 'warmup.json')).map((x) => ({ id: x.id, kind: 'warmup', set: -1, prompt: encodeWith(chars, x.text), reference: [] }));
}

function shuffle<T>(xs: T[], seed: number): T[] {
  const r = rng(seed);
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

function environment(sandbox: string): Record<string, unknown> {
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


export async function runHarness(opts: HarnessOptions): Promise<HarnessResult> {
  const challengeDir = opts.challengeDir ?? CHALLENGE_DIR;
  const spec = loadSpec(challengeDir);
  const settings = loadSettings(challengeDir);
  const W: Weights = loadWeights(join(challengeDir, 'model'));
  const V = W.cfg.vocab;
  const items = loadSplit(challengeDir, opts.split, W.cfg.vocab_chars);
  const warmup = loadWarmup(challengeDir, W.cfg.vocab_chars);
  const sets = [...new Set(items.map((i) => i.set))].sort((a, b) => a - b);
  const repeats = opts.repeats ?? spec.repeats;
  const maxTokens = settings.max_tokens;
  const requestTimeout = opts.requestTimeoutMs ?? settings.request_timeout_ms;
  const startupTimeout = opts.startupTimeoutMs ?? settings.startup_timeout_ms;
  const pplSpec = spec.guardrails.find((g) => g.name === 'perplexity');
  const fidSpec = spec.guardrails.find((g) => g.name === 'decode_fidelity');
  if (!pplSpec || !fidSpec) throw new Error('challenge.yaml must declare the guardrails perplexity and decode_fidelity');
  for (const it of [...items, ...warmup]) if (it.prompt.length + maxTokens > W.cfg.ctx) throw new Error(`request ${it.id} does not fit the context (${it.prompt.length} + ${maxTokens} > ${W.cfg.ctx})`);

  const t0 = performance.now();
  const base = {
    harness: { name: HARNESS_NAME, version: HARNESS_VERSION },
    split: opts.split,
    metric: { name: spec.metric.name, unit: spec.metric.unit, direction: spec.metric.direction, samples: [] as number[] },
  };
  let proc: SubmissionProcess | null = null;
  const samples: Record<string, unknown>[] = [];
  const answers: { item: Item; repeat: number; answer: Answer }[] = [];
  let startupSeconds = 0;
  let warmupSeconds = 0;
  let sandbox = 'none';
  try {
    const manifest = readManifest(opts.submission);
    proc = new SubmissionProcess(opts.submission, manifest);
    sandbox = proc.sandbox;
    const ready = await proc.readLine(startupTimeout, 'the ready line', 'startup');
    let readyMsg: unknown;
    try {
      readyMsg = JSON.parse(ready);
    } catch {
      readyMsg = null;
    }
    if ((readyMsg as { ready?: unknown } | null)?.ready !== true)
      throw new SubmissionFailure('protocol_error', `the first stdout line must be {"ready":true}, got ${JSON.stringify(ready.slice(0, 200))}`);
    startupSeconds = (performance.now() - t0) / 1000;

    let counter = 0;
    const ask = async (item: Item): Promise<Answer> => {
      // ids are opaque and the shape is the same for every request: prompt and held-out requests look alike
      const id = `r${(++counter).toString().padStart(4, '0')}`;
      const req = { id, prompt: item.prompt, max_tokens: maxTokens, temperature: 0, echo: true, logprobs: 0 };
      const start = performance.now();
      proc!.send(req);
      const line = await proc!.readLine(requestTimeout, `request ${id}`, 'request');
      const seconds = (performance.now() - start) / 1000;
      return { ...validateAnswer(line, id, item, maxTokens, V), seconds };
    };

    const w0 = performance.now();
    for (let k = 0; k < settings.warmup_requests; k++) await ask(warmup[k % warmup.length] as Item);
    warmupSeconds = (performance.now() - w0) / 1000;

    for (let r = 0; r < repeats; r++) {
      let tokens = 0;
      let seconds = 0;
      const set = sets[r % sets.length];
      for (const item of shuffle(items.filter((i) => i.set === set), 1000 + r)) {
        const answer = await ask(item);
        answers.push({ item, repeat: r, answer });
        tokens += answer.tokens.length;
        seconds += answer.seconds;
      }
      base.metric.samples.push(tokens / seconds);
    }
  } catch (e) {
    if (proc) await proc.stop(100);
    if (e instanceof SubmissionFailure) {
      return HarnessResult.parse({
        ...base,
        status: 'failed',
        failure: { code: e.code, reason: e.message.slice(0, 4000) },
        environment: environment(sandbox),
        extra: { completed_requests: answers.length, startup_seconds: startupSeconds },
      });
    }
    throw e;
  }
  await proc.stop();
  const runSeconds = (performance.now() - t0) / 1000;

  // ---- scoring, all on the harness side
  const s0 = performance.now();
  // the reference model, teacher-forced on prompt + the submission's own emitted tokens
  const cache = new Map<string, FidelityToken[]>();
  const refLogprobCache = new Map<string, Float64Array[]>();
  const verdicts = (item: Item, tokens: number[]): FidelityToken[] => {
    const key = `${item.id}:${tokens.join(',')}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const seq = [...item.prompt, ...tokens.slice(0, -1)];
    const logits = forwardAll(W, seq);
    const ft = tokens.map((t, i) => fidelityToken(logits[item.prompt.length - 1 + i] as Float64Array, t));
    cache.set(key, ft);
    if (!refLogprobCache.has(item.id)) refLogprobCache.set(item.id, logits.slice(0, item.prompt.length - 1).map((z) => logSoftmax(z)));
    return ft;
  };
  const decode = scoreDecode(
    answers.map(({ item, answer }) => ({ tokens: verdicts(item, answer.tokens), emitted: answer.tokens, reference: item.reference })),
    settings.fidelity_tolerance,
  );

  let nllSum = 0;
  let nllCount = 0;
  let refNllSum = 0;
  let maxLogprobGap = 0;
  let sumLogprobGap = 0;
  const firstDivergence: Record<string, number | null> = {};
  const perRepeatPpl: number[] = Array.from({ length: repeats }, () => 0);
  const perRepeatCount: number[] = Array.from({ length: repeats }, () => 0);
  for (const [k, { item, repeat, answer }] of answers.entries()) {
    const sc = decode.perPrompt[k] as DecodeScore['perPrompt'][number];
    const ft = cache.get(`${item.id}:${answer.tokens.join(',')}`) as FidelityToken[];
    const em = sc.exact;
    if (!(item.id in firstDivergence)) firstDivergence[item.id] = em?.firstDivergence ?? null;
    let promptNll: number | null = null;
    if (item.kind === 'heldout') {
      const ref = refLogprobCache.get(item.id) as Float64Array[];
      let nll = 0;
      for (let i = 0; i < answer.promptLogprobs.length; i++) {
        const lp = answer.promptLogprobs[i] as number;
        const rlp = (ref[i] as Float64Array)[item.prompt[i + 1] as number] as number;
        nll -= lp;
        refNllSum -= rlp;
        maxLogprobGap = Math.max(maxLogprobGap, Math.abs(lp - rlp));
        sumLogprobGap += Math.abs(lp - rlp);
      }
      nllSum += nll;
      nllCount += answer.promptLogprobs.length;
      perRepeatPpl[repeat] = (perRepeatPpl[repeat] as number) + nll;
      perRepeatCount[repeat] = (perRepeatCount[repeat] as number) + answer.promptLogprobs.length;
      promptNll = nll / answer.promptLogprobs.length;
    }
    samples.push({
      repeat,
      request: item.id,
      kind: item.kind,
      prompt_tokens: item.prompt.length,
      tokens_emitted: answer.tokens.length,
      seconds: Number(answer.seconds.toFixed(6)),
      tokens_per_second: Number((answer.tokens.length / answer.seconds).toFixed(3)),
      fidelity: sc.fidelity,
      faithful: sc.faithful,
      emitted: answer.tokens,
      ref_top1: ft.map((t) => t.refTop1),
      margins: ft.map((t) => Number(t.margin.toFixed(6))),
      identical_to_reference: em?.identical ?? null,
      matched_reference_positions: em?.matched ?? null,
      first_divergence: em?.firstDivergence ?? null,
      ...(promptNll === null ? {} : { prompt_nll_per_token: Number(promptNll.toFixed(6)) }),
    });
  }
  const setSize = items.filter((i) => i.set === sets[0]).length;
  const ppl = nllCount === 0 ? null : Math.exp(nllSum / nllCount);
  const meanGap = nllCount === 0 ? 0 : sumLogprobGap / nllCount;
  const refPpl = nllCount === 0 ? null : Math.exp(refNllSum / nllCount);
  const guardrails = [
    {
      name: 'perplexity',
      value: ppl,
      threshold: pplSpec.threshold,
      op: pplSpec.op,
      // the log-probabilities are the submission's word: they must also agree with the reference model
      passed: ppl !== null && (pplSpec.op === '<=' ? ppl <= pplSpec.threshold : ppl >= pplSpec.threshold) && meanGap <= settings.logprob_gap_limit,
      detail: {
        source: 'prompt_logprobs returned by the submission for the held-out text requests (teacher-forced)',
        tokens: nllCount,
        per_repeat: perRepeatPpl.map((s, i) => Math.exp(s / Math.max(1, perRepeatCount[i] as number))),
        reference_perplexity: refPpl,
        max_abs_logprob_gap_vs_reference: Number(maxLogprobGap.toFixed(6)),
        mean_abs_logprob_gap_vs_reference: Number(meanGap.toFixed(6)),
        mean_abs_logprob_gap_limit: settings.logprob_gap_limit,
        consistent_with_reference: meanGap <= settings.logprob_gap_limit,
      },
    },
    {
      name: 'decode_fidelity',
      value: decode.fidelity,
      threshold: fidSpec.threshold,
      op: fidSpec.op,
      passed: fidSpec.op === '>=' ? decode.fidelity >= fidSpec.threshold : decode.fidelity <= fidSpec.threshold,
      detail: {
        definition: 'share of emitted tokens (all timed requests, all repeats) that the reference model, teacher-forced on the submission\'s own output, ranks first or within `tolerance` logits of first',
        tolerance: settings.fidelity_tolerance,
        faithful: decode.faithful,
        tokens: decode.tokens,
        top1_rate: decode.top1Rate,
        within_tolerance: decode.perPrompt.reduce((a, p) => a + p.withinTolerance, 0),
        max_margin: Number(Math.max(0, ...decode.perPrompt.map((p) => p.maxMargin)).toFixed(6)),
        exact_match_rate: decode.exactMatchRate,
        identical_prompt_rate: decode.identicalPromptRate,
      },
    },
  ];
  const parameters = W.cfg.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0);
  const meanTps = base.metric.samples.reduce((a, x) => a + x, 0) / Math.max(1, base.metric.samples.length);
  const lat = answers.map((a) => a.answer.seconds).sort((a, b) => a - b);
  const q = (p: number): number => (lat.length === 0 ? 0 : (lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] as number));
  const result = {
    ...base,
    status: 'ok' as const,
    failure: null,
    guardrails,
    samples,
    environment: environment(sandbox),
    extra: {
      exact_match_rate: decode.exactMatchRate,
      identical_prompt_rate: decode.identicalPromptRate,
      top1_rate: decode.top1Rate,
      first_divergence: firstDivergence,
      requests_per_repeat: setSize,
      tokens_per_repeat: setSize * maxTokens,
      request_sets: sets.length,
      repeats,
      max_tokens: maxTokens,
      warmup_requests: settings.warmup_requests,
      fidelity_tolerance: settings.fidelity_tolerance,
      timings: {
        startup_seconds: startupSeconds,
        warmup_seconds: warmupSeconds,
        run_seconds: runSeconds,
        scoring_seconds: (performance.now() - s0) / 1000,
        latency_p50_seconds: q(0.5),
        latency_p90_seconds: q(0.9),
      },
      model: { parameters, layers: W.cfg.layers, d: W.cfg.d, ctx: W.cfg.ctx, vocab: V },
      // the claims-check arithmetic: at batch 1 every token reads every weight at least once
      roofline: {
        weight_bytes_float32: parameters * 4,
        implied_weight_read_gb_per_s: Number(((meanTps * parameters * 4) / 1e9).toFixed(4)),
        note: 'tokens/s x float32 weight bytes: the weight traffic a batch-1 decoder must sustain (a lower bound; the weights fit in cache here, so this challenge is compute-bound)',
      },
    },
  };
  return HarnessResult.parse(result);
}
