/**
 * Trains the tiny-lm model on corpus/train.txt and writes model/weights.bin + model/config.json.
 *
 *   node training/train.ts [--steps N] [--workers N] [--out DIR]
 *
 * Reproducible: the data order and the initialisation come from fixed seeds, and each step's batch is
 * cut into SHARDS fixed shards whose gradients are summed in shard order, so the result does not
 * depend on how many worker threads computed them (--workers only changes the speed).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { GPT, layout, type ModelConfig } from './gpt.ts';
import { rng, generate } from './corpus.ts';
import { encode, VOCAB } from './tokenizer.ts';

export const CONFIG: ModelConfig = { vocab: VOCAB.length, ctx: 128, d: 64, heads: 4, layers: 2 };
const SHARDS = 8; // per step
const SHARD_B = 2; // sequences per shard
const T = CONFIG.ctx;
const SEED = 1234;
const LR = 3e-3;
const WARMUP = 30;
const WEIGHT_DECAY = 0.01;
const VALID_SEED = 99; // a few stories never seen in training, to report validation loss

interface WorkerInit {
  cfg: ModelConfig;
  params: SharedArrayBuffer;
  grads: SharedArrayBuffer[];
}

interface Job {
  shard: number;
  inputs: Int32Array;
  targets: Int32Array;
}

if (!isMainThread) {
  const init = workerData as WorkerInit;
  const params = new Float32Array(init.params);
  const models = init.grads.map((g) => new GPT(init.cfg, SHARD_B, T, params, new Float32Array(g)));
  parentPort!.on('message', (jobs: Job[]) => {
    const losses: [number, number][] = [];
    for (const j of jobs) {
      const m = models[j.shard] as GPT;
      m.grads.fill(0);
      const loss = m.forward(j.inputs, j.targets);
      m.backward();
      losses.push([j.shard, loss]);
    }
    parentPort!.postMessage(losses);
  });
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main();
}

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? (process.argv[i + 1] as string) : dflt;
}

function gaussian(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  const v = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function initParams(cfg: ModelConfig, seed: number): Float32Array {
  const { tensors, size } = layout(cfg);
  const p = new Float32Array(size);
  const r = rng(seed);
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const view = p.subarray(t.offset, t.offset + n);
    if (/ln\d?\.w$|lnf\.w$/.test(t.name)) view.fill(1);
    else if (t.shape.length === 1) view.fill(0);
    else {
      const std = /proj\.w$/.test(t.name) ? 0.02 / Math.sqrt(2 * cfg.layers) : 0.02;
      for (let i = 0; i < n; i++) view[i] = gaussian(r) * std;
    }
  }
  return p;
}

async function main(): Promise<void> {
  const here = dirname(fileURLToPath(import.meta.url));
  const steps = Number(arg('steps', '600'));
  const nWorkers = Math.max(1, Math.min(SHARDS, Number(arg('workers', String(Math.min(availableParallelism(), SHARDS))))));
  const outDir = arg('out', join(here, '..', 'model'));
  const text = readFileSync(join(here, '..', 'corpus', 'train.txt'), 'utf8');
  const data = Int32Array.from(encode(text));
  const valid = Int32Array.from(encode(generate(VALID_SEED, 20_000)));
  const cfg = CONFIG;
  const { size, tensors } = layout(cfg);
  console.log(`tiny-lm: ${size} parameters, ${data.length} training tokens, ${steps} steps of ${SHARDS * SHARD_B * T} tokens, ${nWorkers} workers`);

  const paramsBuf = new SharedArrayBuffer(size * 4);
  const params = new Float32Array(paramsBuf);
  params.set(initParams(cfg, SEED));
  const gradBufs = Array.from({ length: SHARDS }, () => new SharedArrayBuffer(size * 4));
  const grads = gradBufs.map((b) => new Float32Array(b));
  const workers: Worker[] = [];
  const assignment: number[][] = Array.from({ length: nWorkers }, () => []);
  for (let s = 0; s < SHARDS; s++) (assignment[s % nWorkers] as number[]).push(s);
  for (let w = 0; w < nWorkers; w++) {
    const mine = assignment[w] as number[];
    // each worker gets views only of its own shards' gradient buffers (index = position in its list)
    workers.push(new Worker(fileURLToPath(import.meta.url), { workerData: { cfg, params: paramsBuf, grads: mine.map((s) => gradBufs[s] as SharedArrayBuffer) } satisfies WorkerInit }));
  }

  const m = new Float32Array(size);
  const v = new Float32Array(size);
  const gsum = new Float32Array(size);
  const decay = new Uint8Array(size);
  for (const t of tensors) if (t.shape.length === 2) decay.fill(1, t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1));
  const r = rng(SEED + 1);
  const b1 = 0.9;
  const b2 = 0.99;
  const t0 = performance.now();
  let ema = 0;
  for (let step = 1; step <= steps; step++) {
    // batch: SHARDS x SHARD_B random windows of T+1 tokens
    const jobsFor: Job[][] = Array.from({ length: nWorkers }, () => []);
    for (let s = 0; s < SHARDS; s++) {
      const inputs = new Int32Array(SHARD_B * T);
      const targets = new Int32Array(SHARD_B * T);
      for (let b = 0; b < SHARD_B; b++) {
        const start = Math.floor(r() * (data.length - T - 1));
        inputs.set(data.subarray(start, start + T), b * T);
        targets.set(data.subarray(start + 1, start + T + 1), b * T);
      }
      const w = s % nWorkers;
      (jobsFor[w] as Job[]).push({ shard: (assignment[w] as number[]).indexOf(s), inputs, targets });
    }
    const results = await Promise.all(
      workers.map(
        (wk, w) =>
          new Promise<[number, number][]>((resolve) => {
            wk.once('message', resolve);
            wk.postMessage(jobsFor[w]);
          }),
      ),
    );
    let loss = 0;
    for (const res of results) for (const [, l] of res) loss += l;
    loss /= SHARDS;
    ema = step === 1 ? loss : 0.95 * ema + 0.05 * loss;
    // sum shard gradients in shard order (deterministic whatever the worker count)
    gsum.set(grads[0] as Float32Array);
    for (let s = 1; s < SHARDS; s++) {
      const g = grads[s] as Float32Array;
      for (let i = 0; i < size; i++) gsum[i] = (gsum[i] as number) + (g[i] as number);
    }
    let norm = 0;
    for (let i = 0; i < size; i++) {
      const g = (gsum[i] as number) / SHARDS;
      gsum[i] = g;
      norm += g * g;
    }
    norm = Math.sqrt(norm);
    const clip = norm > 1 ? 1 / norm : 1;
    const lr = step <= WARMUP ? (LR * step) / WARMUP : LR * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * (step - WARMUP)) / (steps - WARMUP))));
    const bc1 = 1 - Math.pow(b1, step);
    const bc2 = 1 - Math.pow(b2, step);
    for (let i = 0; i < size; i++) {
      const g = (gsum[i] as number) * clip;
      const mi = b1 * (m[i] as number) + (1 - b1) * g;
      const vi = b2 * (v[i] as number) + (1 - b2) * g * g;
      m[i] = mi;
      v[i] = vi;
      const p = params[i] as number;
      params[i] = p - lr * ((mi / bc1) / (Math.sqrt(vi / bc2) + 1e-8) + (decay[i] ? WEIGHT_DECAY * p : 0));
    }
    if (step % 25 === 0 || step === 1 || step === steps) {
      const dt = (performance.now() - t0) / 1000;
      console.log(`step ${step}/${steps} loss ${loss.toFixed(4)} (ema ${ema.toFixed(4)}) lr ${lr.toExponential(2)} ${dt.toFixed(1)}s`);
    }
  }
  for (const w of workers) await w.terminate();

  // validation loss on unseen text, T-token windows
  const evalModel = new GPT(cfg, 1, T, params, new Float32Array(size));
  let vloss = 0;
  let n = 0;
  for (let start = 0; start + T + 1 <= valid.length; start += T) {
    vloss += evalModel.forward(valid.subarray(start, start + T), valid.subarray(start + 1, start + T + 1));
    n++;
  }
  vloss /= n;
  console.log(`validation loss ${vloss.toFixed(4)} nats/char, perplexity ${Math.exp(vloss).toFixed(3)} (uniform: ${cfg.vocab})`);

  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'weights.bin'), new Uint8Array(params.buffer.slice(0)));
  const config = {
    format: 'tiny-lm-v1',
    description: 'GPT-2-style decoder-only transformer, pre-LayerNorm, GELU(tanh) MLP, learned positions, output head tied to wte. weights.bin: float32 little-endian, tensors in this order.',
    ...cfg,
    layer_norm_eps: 1e-5,
    vocab_chars: VOCAB,
    tensors,
    training: { steps, tokens_per_step: SHARDS * SHARD_B * T, seed: SEED, lr: LR, validation_loss: Number(vloss.toFixed(5)), validation_perplexity: Number(Math.exp(vloss).toFixed(4)) },
  };
  writeFileSync(join(outDir, 'config.json'), JSON.stringify(config, null, 1) + '\n');
  console.log(`wrote ${outDir}/weights.bin (${size * 4} bytes) and config.json in ${((performance.now() - t0) / 1000).toFixed(1)}s`);
}
