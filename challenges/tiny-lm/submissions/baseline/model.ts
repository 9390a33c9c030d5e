/**
 * Baseline tiny-lm model: a straightforward float32 transformer. Every call runs the WHOLE sequence
 * through every layer again (no KV cache): decoding n tokens after a prompt of p tokens costs
 * about n * (p + n/2) token-passes instead of p + n. That is the obvious thing to fix.
 */
import { readFileSync } from 'node:fs';

interface TensorInfo {
  name: string;
  shape: number[];
  offset: number;
}

export interface Config {
  vocab: number;
  ctx: number;
  d: number;
  heads: number;
  layers: number;
  layer_norm_eps: number;
  tensors: TensorInfo[];
}

export class Model {
  readonly cfg: Config;
  private readonly w = new Map<string, Float32Array>();

  constructor(configPath: string, weightsPath: string) {
    this.cfg = JSON.parse(readFileSync(configPath, 'utf8')) as Config;
    const buf = readFileSync(weightsPath);
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    for (const t of this.cfg.tensors) this.w.set(t.name, all.subarray(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)));
  }

  private p(name: string): Float32Array {
    const t = this.w.get(name);
    if (!t) throw new Error(`missing tensor ${name}`);
    return t;
  }

  /**
   * Runs all of `tokens` through the network. Returns the next-token logits of every position
   * (allPositions) or of the last one only, as rows of `vocab` numbers.
   */
  forward(tokens: readonly number[], allPositions: boolean): Float32Array[] {
    const { d: C, heads: NH, layers: L, vocab: V, layer_norm_eps: eps } = this.cfg;
    const T = tokens.length;
    const hs = C / NH;
    const wte = this.p('wte');
    const wpe = this.p('wpe');
    // x: the residual stream, T rows of C
    const x = new Float32Array(T * C);
    for (let t = 0; t < T; t++) for (let i = 0; i < C; i++) x[t * C + i] = wte[tokens[t]! * C + i]! + wpe[t * C + i]!;
    const xn = new Float32Array(T * C);
    const qkv = new Float32Array(T * 3 * C);
    const y = new Float32Array(T * C);
    const tmp = new Float32Array(T * C);
    const hid = new Float32Array(T * 4 * C);
    const att = new Float32Array(T);
    for (let l = 0; l < L; l++) {
      const g = (n: string) => this.p(`h${l}.${n}`);
      layerNorm(xn, x, g('ln1.w'), g('ln1.b'), T, C, eps);
      linear(qkv, xn, g('attn.qkv.w'), g('attn.qkv.b'), T, C, 3 * C);
      y.fill(0);
      for (let t = 0; t < T; t++) {
        for (let h = 0; h < NH; h++) {
          let max = -Infinity;
          for (let t2 = 0; t2 <= t; t2++) {
            let s = 0;
            for (let i = 0; i < hs; i++) s += qkv[t * 3 * C + h * hs + i]! * qkv[t2 * 3 * C + C + h * hs + i]!;
            att[t2] = s / Math.sqrt(hs);
            if (att[t2]! > max) max = att[t2]!;
          }
          let sum = 0;
          for (let t2 = 0; t2 <= t; t2++) sum += att[t2] = Math.exp(att[t2]! - max);
          for (let t2 = 0; t2 <= t; t2++)
            for (let i = 0; i < hs; i++) y[t * C + h * hs + i]! += (att[t2]! / sum) * qkv[t2 * 3 * C + 2 * C + h * hs + i]!;
        }
      }
      linear(tmp, y, g('attn.proj.w'), g('attn.proj.b'), T, C, C);
      for (let i = 0; i < T * C; i++) x[i]! += tmp[i]!;
      layerNorm(xn, x, g('ln2.w'), g('ln2.b'), T, C, eps);
      linear(hid, xn, g('mlp.fc.w'), g('mlp.fc.b'), T, C, 4 * C);
      for (let i = 0; i < T * 4 * C; i++) hid[i] = gelu(hid[i]!);
      linear(tmp, hid, g('mlp.proj.w'), g('mlp.proj.b'), T, 4 * C, C);
      for (let i = 0; i < T * C; i++) x[i]! += tmp[i]!;
    }
    layerNorm(xn, x, this.p('lnf.w'), this.p('lnf.b'), T, C, eps);
    const rows: Float32Array[] = [];
    for (let t = allPositions ? 0 : T - 1; t < T; t++) {
      const logits = new Float32Array(V);
      linear(logits, xn.subarray(t * C, (t + 1) * C), wte, null, 1, C, V);
      rows.push(logits);
    }
    return rows;
  }
}

/** Row-wise LayerNorm of N rows of C. */
function layerNorm(out: Float32Array, x: Float32Array, w: Float32Array, b: Float32Array, N: number, C: number, eps: number): void {
  for (let n = 0; n < N; n++) {
    let mean = 0;
    for (let i = 0; i < C; i++) mean += x[n * C + i]!;
    mean /= C;
    let vr = 0;
    for (let i = 0; i < C; i++) vr += (x[n * C + i]! - mean) ** 2;
    const s = 1 / Math.sqrt(vr / C + eps);
    for (let i = 0; i < C; i++) out[n * C + i] = (x[n * C + i]! - mean) * s * w[i]! + b[i]!;
  }
}

/** out[n, o] = b[o] + sum_i W[o, i] * x[n, i], for N rows; W is [OUT, IN]. */
function linear(out: Float32Array, x: Float32Array, W: Float32Array, b: Float32Array | null, N: number, IN: number, OUT: number): void {
  for (let n = 0; n < N; n++)
    for (let o = 0; o < OUT; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < IN; i++) s += W[o * IN + i]! * x[n * IN + i]!;
      out[n * OUT + o] = s;
    }
}

function gelu(u: number): number {
  return 0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)));
}

export function logSoftmax(z: Float32Array): Float64Array {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (const v of z) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  return Float64Array.from(z, (v) => v - lse);
}

export function argmax(z: Float32Array): number {
  let best = 0;
  for (let i = 1; i < z.length; i++) if (z[i]! > z[best]!) best = i;
  return best;
}
