/**
 * The trusted reference model: the tiny-lm transformer evaluated in float64 (weights are the float32
 * values of model/weights.bin, widened). One full, teacher-forced forward pass over a sequence gives
 * the logits at every position. Used by the harness (fidelity), by make-data.ts (reference greedy
 * decodes, baseline perplexity) and by calibrate.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TensorInfo {
  name: string;
  shape: number[];
  offset: number;
}

export interface ModelFile {
  vocab: number;
  ctx: number;
  d: number;
  heads: number;
  layers: number;
  layer_norm_eps: number;
  vocab_chars: string;
  tensors: TensorInfo[];
}

export interface Weights {
  cfg: ModelFile;
  get(name: string): Float64Array;
}

export function loadWeights(modelDir: string): Weights {
  const cfg = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as ModelFile;
  const buf = readFileSync(join(modelDir, 'weights.bin'));
  const f32 = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const map = new Map<string, Float64Array>();
  for (const t of cfg.tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    map.set(t.name, Float64Array.from(f32.subarray(t.offset, t.offset + n)));
  }
  return {
    cfg,
    get(name: string): Float64Array {
      const w = map.get(name);
      if (!w) throw new Error(`weights: no tensor ${name}`);
      return w;
    },
  };
}

function layerNorm(x: Float64Array, w: Float64Array, b: Float64Array, eps: number): Float64Array {
  const C = x.length;
  let m = 0;
  for (let i = 0; i < C; i++) m += x[i] as number;
  m /= C;
  let v = 0;
  for (let i = 0; i < C; i++) v += ((x[i] as number) - m) ** 2;
  v /= C;
  const s = 1 / Math.sqrt(v + eps);
  const out = new Float64Array(C);
  for (let i = 0; i < C; i++) out[i] = ((x[i] as number) - m) * s * (w[i] as number) + (b[i] as number);
  return out;
}

/** y = W x + b, W is [out, in] row-major. */
function linear(x: Float64Array, W: Float64Array, b: Float64Array | null, out: number): Float64Array {
  const inp = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b === null ? 0 : (b[o] as number);
    const r = o * inp;
    for (let i = 0; i < inp; i++) s += (W[r + i] as number) * (x[i] as number);
    y[o] = s;
  }
  return y;
}

const GELU_K = Math.sqrt(2 / Math.PI);

/** Logits (float64) at every position of `tokens`: row t predicts token t+1. */
export function forwardAll(W: Weights, tokens: readonly number[]): Float64Array[] {
  const { cfg } = W;
  const C = cfg.d;
  const T = tokens.length;
  const NH = cfg.heads;
  const hs = C / NH;
  if (T > cfg.ctx) throw new Error(`sequence of ${T} tokens exceeds the context of ${cfg.ctx}`);
  const wte = W.get('wte');
  const wpe = W.get('wpe');
  let xs: Float64Array[] = [];
  for (let t = 0; t < T; t++) {
    const tok = tokens[t] as number;
    if (!Number.isInteger(tok) || tok < 0 || tok >= cfg.vocab) throw new RangeError(`token ${tok} at position ${t} is outside the vocabulary`);
    const x = new Float64Array(C);
    for (let i = 0; i < C; i++) x[i] = (wte[tok * C + i] as number) + (wpe[t * C + i] as number);
    xs.push(x);
  }
  const scale = 1 / Math.sqrt(hs);
  for (let l = 0; l < cfg.layers; l++) {
    const p = (n: string): Float64Array => W.get(`h${l}.${n}`);
    const qkv = xs.map((x) => linear(layerNorm(x, p('ln1.w'), p('ln1.b'), cfg.layer_norm_eps), p('attn.qkv.w'), p('attn.qkv.b'), 3 * C));
    const next: Float64Array[] = [];
    for (let t = 0; t < T; t++) {
      const y = new Float64Array(C);
      const q = qkv[t] as Float64Array;
      for (let h = 0; h < NH; h++) {
        const att = new Float64Array(t + 1);
        let max = -Infinity;
        for (let t2 = 0; t2 <= t; t2++) {
          const k = qkv[t2] as Float64Array;
          let s = 0;
          for (let i = 0; i < hs; i++) s += (q[h * hs + i] as number) * (k[C + h * hs + i] as number);
          s *= scale;
          att[t2] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          att[t2] = Math.exp((att[t2] as number) - max);
          sum += att[t2] as number;
        }
        for (let t2 = 0; t2 <= t; t2++) {
          const v = qkv[t2] as Float64Array;
          const a = (att[t2] as number) / sum;
          for (let i = 0; i < hs; i++) y[h * hs + i] = (y[h * hs + i] as number) + a * (v[2 * C + h * hs + i] as number);
        }
      }
      const proj = linear(y, p('attn.proj.w'), p('attn.proj.b'), C);
      const x = xs[t] as Float64Array;
      const r = new Float64Array(C);
      for (let i = 0; i < C; i++) r[i] = (x[i] as number) + (proj[i] as number);
      const hmid = linear(layerNorm(r, p('ln2.w'), p('ln2.b'), cfg.layer_norm_eps), p('mlp.fc.w'), p('mlp.fc.b'), 4 * C);
      for (let i = 0; i < hmid.length; i++) {
        const u = hmid[i] as number;
        hmid[i] = 0.5 * u * (1 + Math.tanh(GELU_K * (u + 0.044715 * u * u * u)));
      }
      const m = linear(hmid, p('mlp.proj.w'), p('mlp.proj.b'), C);
      for (let i = 0; i < C; i++) r[i] = (r[i] as number) + (m[i] as number);
      next.push(r);
    }
    xs = next;
  }
  return xs.map((x) => linear(layerNorm(x, W.get('lnf.w'), W.get('lnf.b'), cfg.layer_norm_eps), wte, null, cfg.vocab));
}

export function logSoftmax(z: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) if ((z[i] as number) > max) max = z[i] as number;
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += Math.exp((z[i] as number) - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(z.length);
  for (let i = 0; i < z.length; i++) out[i] = (z[i] as number) - lse;
  return out;
}

export function argmax(z: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < z.length; i++) if ((z[i] as number) > (z[best] as number)) best = i;
  return best;
}

/** Greedy decode of `n` tokens by full recomputation (slow, simple, exact). */
export function greedy(W: Weights, prompt: readonly number[], n: number): number[] {
  const seq = [...prompt];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const logits = forwardAll(W, seq);
    const next = argmax(logits[logits.length - 1] as Float64Array);
    out.push(next);
    seq.push(next);
  }
  return out;
}
