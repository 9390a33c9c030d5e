/**
 * CHEATING example (do not copy): the faster model (KV cache) with its last transformer layer
 * skipped, which roughly halves the work per token. Perplexity and decode fidelity catch it: the
 * tokens it emits are often not what the real model would have chosen.
 */
import { readFileSync } from 'node:fs';

interface TensorInfo {
  name: string;
  shape: number[];
  offset: number;
}

interface Config {
  vocab: number;
  ctx: number;
  d: number;
  heads: number;
  layers: number;
  layer_norm_eps: number;
  tensors: TensorInfo[];
}

interface Layer {
  ln1w: Float32Array;
  ln1b: Float32Array;
  qkvw: Float32Array;
  qkvb: Float32Array;
  projw: Float32Array;
  projb: Float32Array;
  ln2w: Float32Array;
  ln2b: Float32Array;
  fcw: Float32Array;
  fcb: Float32Array;
  fcprojw: Float32Array;
  fcprojb: Float32Array;
  k: Float32Array; // cache [ctx, C]
  v: Float32Array; // cache [ctx, C]
}

/** y[o] = b[o] + sum_i W[o*n+i] x[i], n divisible by 4 */
function matvec(y: Float32Array, W: Float32Array, b: Float32Array | null, x: Float32Array, n: number, out: number): void {
  for (let o = 0; o < out; o++) {
    const r = o * n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let i = 0; i < n; i += 4) {
      s0 += W[r + i]! * x[i]!;
      s1 += W[r + i + 1]! * x[i + 1]!;
      s2 += W[r + i + 2]! * x[i + 2]!;
      s3 += W[r + i + 3]! * x[i + 3]!;
    }
    y[o] = (b === null ? 0 : b[o]!) + (s0 + s1) + (s2 + s3);
  }
}

function layerNorm(out: Float32Array, x: Float32Array, w: Float32Array, b: Float32Array, C: number, eps: number): void {
  let m = 0;
  for (let i = 0; i < C; i++) m += x[i]!;
  m /= C;
  let v = 0;
  for (let i = 0; i < C; i++) {
    const d = x[i]! - m;
    v += d * d;
  }
  const s = 1 / Math.sqrt(v / C + eps);
  for (let i = 0; i < C; i++) out[i] = (x[i]! - m) * s * w[i]! + b[i]!;
}

const GELU_K = Math.sqrt(2 / Math.PI);
/** Layers from this index on are skipped (the cheat). */
const SKIP_FROM = 1;

export class Model {
  readonly cfg: Config;
  private readonly wte: Float32Array;
  private readonly wpe: Float32Array;
  private readonly lnfw: Float32Array;
  private readonly lnfb: Float32Array;
  private readonly layers: Layer[] = [];
  private readonly x: Float32Array;
  private readonly xn: Float32Array;
  private readonly qkv: Float32Array;
  private readonly y: Float32Array;
  private readonly tmp: Float32Array;
  private readonly hid: Float32Array;
  private readonly att: Float32Array;
  readonly logits: Float32Array;

  constructor(configPath: string, weightsPath: string) {
    const cfg = (this.cfg = JSON.parse(readFileSync(configPath, 'utf8')) as Config);
    const buf = readFileSync(weightsPath);
    const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const t = new Map(cfg.tensors.map((x) => [x.name, all.subarray(x.offset, x.offset + x.shape.reduce((a, b) => a * b, 1))]));
    const g = (n: string): Float32Array => {
      const v = t.get(n);
      if (!v) throw new Error(`missing tensor ${n}`);
      return v;
    };
    const C = cfg.d;
    this.wte = g('wte');
    this.wpe = g('wpe');
    this.lnfw = g('lnf.w');
    this.lnfb = g('lnf.b');
    for (let l = 0; l < cfg.layers; l++) {
      const p = (n: string) => g(`h${l}.${n}`);
      this.layers.push({
        ln1w: p('ln1.w'), ln1b: p('ln1.b'), qkvw: p('attn.qkv.w'), qkvb: p('attn.qkv.b'),
        projw: p('attn.proj.w'), projb: p('attn.proj.b'), ln2w: p('ln2.w'), ln2b: p('ln2.b'),
        fcw: p('mlp.fc.w'), fcb: p('mlp.fc.b'), fcprojw: p('mlp.proj.w'), fcprojb: p('mlp.proj.b'),
        k: new Float32Array(cfg.ctx * C), v: new Float32Array(cfg.ctx * C),
      });
    }
    this.x = new Float32Array(C);
    this.xn = new Float32Array(C);
    this.qkv = new Float32Array(3 * C);
    this.y = new Float32Array(C);
    this.tmp = new Float32Array(C);
    this.hid = new Float32Array(4 * C);
    this.att = new Float32Array(cfg.ctx);
    this.logits = new Float32Array(cfg.vocab);
  }

  /**
   * Runs token `tok` at position `pos` (positions 0..pos-1 must already be in the cache) and, if
   * `wantLogits`, leaves the next-token logits in this.logits.
   */
  step(tok: number, pos: number, wantLogits: boolean): void {
    const { d: C, heads: NH, layer_norm_eps: eps, vocab: V } = this.cfg;
    const hs = C / NH;
    const scale = 1 / Math.sqrt(hs);
    const { x, xn, qkv, y, tmp, hid, att } = this;
    for (let i = 0; i < C; i++) x[i] = this.wte[tok * C + i]! + this.wpe[pos * C + i]!;
    for (const L of this.layers.slice(0, SKIP_FROM)) {
      layerNorm(xn, x, L.ln1w, L.ln1b, C, eps);
      matvec(qkv, L.qkvw, L.qkvb, xn, C, 3 * C);
      const base = pos * C;
      for (let i = 0; i < C; i++) {
        L.k[base + i] = qkv[C + i]!;
        L.v[base + i] = qkv[2 * C + i]!;
      }
      for (let h = 0; h < NH; h++) {
        const ho = h * hs;
        let max = -Infinity;
        for (let t2 = 0; t2 <= pos; t2++) {
          const ko = t2 * C + ho;
          let s = 0;
          for (let i = 0; i < hs; i++) s += qkv[ho + i]! * L.k[ko + i]!;
          s *= scale;
          att[t2] = s;
          if (s > max) max = s;
        }
        let sum = 0;
        for (let t2 = 0; t2 <= pos; t2++) {
          const e = Math.exp(att[t2]! - max);
          att[t2] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let i = 0; i < hs; i++) y[ho + i] = 0;
        for (let t2 = 0; t2 <= pos; t2++) {
          const a = att[t2]! * inv;
          const vo = t2 * C + ho;
          for (let i = 0; i < hs; i++) y[ho + i]! += a * L.v[vo + i]!;
        }
      }
      matvec(tmp, L.projw, L.projb, y, C, C);
      for (let i = 0; i < C; i++) x[i]! += tmp[i]!;
      layerNorm(xn, x, L.ln2w, L.ln2b, C, eps);
      matvec(hid, L.fcw, L.fcb, xn, C, 4 * C);
      for (let i = 0; i < 4 * C; i++) {
        const u = hid[i]!;
        hid[i] = 0.5 * u * (1 + Math.tanh(GELU_K * (u + 0.044715 * u * u * u)));
      }
      matvec(tmp, L.fcprojw, L.fcprojb, hid, 4 * C, C);
      for (let i = 0; i < C; i++) x[i]! += tmp[i]!;
    }
    if (!wantLogits) return;
    layerNorm(xn, x, this.lnfw, this.lnfb, C, eps);
    matvec(this.logits, this.wte, null, xn, C, V);
  }
}

export function logSoftmaxAt(z: Float32Array, k: number): number {
  let max = -Infinity;
  for (let i = 0; i < z.length; i++) if (z[i]! > max) max = z[i]!;
  let sum = 0;
  for (let i = 0; i < z.length; i++) sum += Math.exp(z[i]! - max);
  return z[k]! - max - Math.log(sum);
}

export function argmax(z: Float32Array): number {
  let best = 0;
  for (let i = 1; i < z.length; i++) if (z[i]! > z[best]!) best = i;
  return best;
}
