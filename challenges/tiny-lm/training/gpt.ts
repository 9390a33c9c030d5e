/**
 * A GPT-2-style decoder-only transformer with hand-written forward and backward passes, in
 * Float32Array, for training on a CPU (the structure follows Karpathy's llm.c train_gpt2.c).
 * Pre-LayerNorm blocks, learned positions, GELU (tanh form) MLP, output head tied to the token
 * embedding. Parameter layout: see layout() (also written to model/config.json).
 */

export interface ModelConfig {
  vocab: number;
  ctx: number;
  d: number;
  heads: number;
  layers: number;
}

export interface TensorInfo {
  name: string;
  shape: number[];
  offset: number; // in float32 elements
}

/** Order of the tensors in the flat parameter vector (and in weights.bin). */
export function layout(cfg: ModelConfig): { tensors: TensorInfo[]; size: number } {
  const { vocab: V, ctx: T, d: C, layers: L } = cfg;
  const tensors: TensorInfo[] = [];
  let offset = 0;
  const add = (name: string, shape: number[]): void => {
    tensors.push({ name, shape, offset });
    offset += shape.reduce((a, b) => a * b, 1);
  };
  add('wte', [V, C]);
  add('wpe', [T, C]);
  for (let l = 0; l < L; l++) {
    add(`h${l}.ln1.w`, [C]);
    add(`h${l}.ln1.b`, [C]);
    add(`h${l}.attn.qkv.w`, [3 * C, C]);
    add(`h${l}.attn.qkv.b`, [3 * C]);
    add(`h${l}.attn.proj.w`, [C, C]);
    add(`h${l}.attn.proj.b`, [C]);
    add(`h${l}.ln2.w`, [C]);
    add(`h${l}.ln2.b`, [C]);
    add(`h${l}.mlp.fc.w`, [4 * C, C]);
    add(`h${l}.mlp.fc.b`, [4 * C]);
    add(`h${l}.mlp.proj.w`, [C, 4 * C]);
    add(`h${l}.mlp.proj.b`, [C]);
  }
  add('lnf.w', [C]);
  add('lnf.b', [C]);
  return { tensors, size: offset };
}

/** Views of one flat vector (params or grads) by tensor. */
export interface Views {
  wte: Float32Array;
  wpe: Float32Array;
  layers: {
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
  }[];
  lnfw: Float32Array;
  lnfb: Float32Array;
}

export function views(cfg: ModelConfig, flat: Float32Array): Views {
  const { tensors } = layout(cfg);
  const m = new Map<string, Float32Array>();
  for (const t of tensors) m.set(t.name, flat.subarray(t.offset, t.offset + t.shape.reduce((a, b) => a * b, 1)));
  const g = (n: string): Float32Array => m.get(n) as Float32Array;
  const layers = [];
  for (let l = 0; l < cfg.layers; l++) {
    layers.push({
      ln1w: g(`h${l}.ln1.w`),
      ln1b: g(`h${l}.ln1.b`),
      qkvw: g(`h${l}.attn.qkv.w`),
      qkvb: g(`h${l}.attn.qkv.b`),
      projw: g(`h${l}.attn.proj.w`),
      projb: g(`h${l}.attn.proj.b`),
      ln2w: g(`h${l}.ln2.w`),
      ln2b: g(`h${l}.ln2.b`),
      fcw: g(`h${l}.mlp.fc.w`),
      fcb: g(`h${l}.mlp.fc.b`),
      fcprojw: g(`h${l}.mlp.proj.w`),
      fcprojb: g(`h${l}.mlp.proj.b`),
    });
  }
  return { wte: g('wte'), wpe: g('wpe'), layers, lnfw: g('lnf.w'), lnfb: g('lnf.b') };
}

// ---------------------------------------------------------------- kernels

function encoderForward(out: Float32Array, inp: Int32Array, wte: Float32Array, wpe: Float32Array, B: number, T: number, C: number): void {
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      const ix = inp[b * T + t] as number;
      const we = ix * C;
      const pe = t * C;
      for (let i = 0; i < C; i++) out[o + i] = (wte[we + i] as number) + (wpe[pe + i] as number);
    }
}

function encoderBackward(dwte: Float32Array, dwpe: Float32Array, dout: Float32Array, inp: Int32Array, B: number, T: number, C: number): void {
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * C;
      const we = (inp[b * T + t] as number) * C;
      const pe = t * C;
      for (let i = 0; i < C; i++) {
        const d = dout[o + i] as number;
        dwte[we + i] = (dwte[we + i] as number) + d;
        dwpe[pe + i] = (dwpe[pe + i] as number) + d;
      }
    }
}

function layernormForward(out: Float32Array, mean: Float32Array, rstd: Float32Array, inp: Float32Array, w: Float32Array, bias: Float32Array, N: number, C: number): void {
  const eps = 1e-5;
  for (let n = 0; n < N; n++) {
    const x = n * C;
    let m = 0;
    for (let i = 0; i < C; i++) m += inp[x + i] as number;
    m /= C;
    let v = 0;
    for (let i = 0; i < C; i++) {
      const dx = (inp[x + i] as number) - m;
      v += dx * dx;
    }
    v /= C;
    const s = 1 / Math.sqrt(v + eps);
    for (let i = 0; i < C; i++) out[x + i] = s * ((inp[x + i] as number) - m) * (w[i] as number) + (bias[i] as number);
    mean[n] = m;
    rstd[n] = s;
  }
}

function layernormBackward(dinp: Float32Array, dw: Float32Array, db: Float32Array, dout: Float32Array, inp: Float32Array, w: Float32Array, mean: Float32Array, rstd: Float32Array, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const x = n * C;
    const m = mean[n] as number;
    const s = rstd[n] as number;
    let dnormMean = 0;
    let dnormNormMean = 0;
    for (let i = 0; i < C; i++) {
      const norm = ((inp[x + i] as number) - m) * s;
      const dnorm = (w[i] as number) * (dout[x + i] as number);
      dnormMean += dnorm;
      dnormNormMean += dnorm * norm;
    }
    dnormMean /= C;
    dnormNormMean /= C;
    for (let i = 0; i < C; i++) {
      const norm = ((inp[x + i] as number) - m) * s;
      const d = dout[x + i] as number;
      const dnorm = (w[i] as number) * d;
      db[i] = (db[i] as number) + d;
      dw[i] = (dw[i] as number) + norm * d;
      dinp[x + i] = (dinp[x + i] as number) + (dnorm - dnormMean - norm * dnormNormMean) * s;
    }
  }
}

/** out[n,o] = bias[o] + sum_c inp[n,c] * w[o,c] */
function matmulForward(out: Float32Array, inp: Float32Array, w: Float32Array, bias: Float32Array | null, N: number, C: number, OC: number): void {
  for (let n = 0; n < N; n++) {
    const x = n * C;
    const y = n * OC;
    for (let o = 0; o < OC; o++) {
      const r = o * C;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let i = 0; i < C; i += 4) {
        s0 += (inp[x + i] as number) * (w[r + i] as number);
        s1 += (inp[x + i + 1] as number) * (w[r + i + 1] as number);
        s2 += (inp[x + i + 2] as number) * (w[r + i + 2] as number);
        s3 += (inp[x + i + 3] as number) * (w[r + i + 3] as number);
      }
      out[y + o] = (bias === null ? 0 : (bias[o] as number)) + s0 + s1 + s2 + s3;
    }
  }
}

function matmulBackward(dinp: Float32Array, dw: Float32Array, dbias: Float32Array | null, dout: Float32Array, inp: Float32Array, w: Float32Array, N: number, C: number, OC: number): void {
  for (let n = 0; n < N; n++) {
    const x = n * C;
    const y = n * OC;
    for (let o = 0; o < OC; o++) {
      const d = dout[y + o] as number;
      if (d === 0) continue;
      const r = o * C;
      for (let i = 0; i < C; i++) {
        dinp[x + i] = (dinp[x + i] as number) + d * (w[r + i] as number);
        dw[r + i] = (dw[r + i] as number) + d * (inp[x + i] as number);
      }
      if (dbias !== null) dbias[o] = (dbias[o] as number) + d;
    }
  }
}

function attentionForward(out: Float32Array, att: Float32Array, qkv: Float32Array, B: number, T: number, C: number, NH: number): void {
  const C3 = 3 * C;
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let h = 0; h < NH; h++) {
        const q = b * T * C3 + t * C3 + h * hs;
        const a = ((b * NH + h) * T + t) * T;
        let max = -Infinity;
        for (let t2 = 0; t2 <= t; t2++) {
          const k = b * T * C3 + t2 * C3 + h * hs + C;
          let v = 0;
          for (let i = 0; i < hs; i++) v += (qkv[q + i] as number) * (qkv[k + i] as number);
          v *= scale;
          att[a + t2] = v;
          if (v > max) max = v;
        }
        let sum = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const e = Math.exp((att[a + t2] as number) - max);
          att[a + t2] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let t2 = 0; t2 < T; t2++) att[a + t2] = t2 <= t ? (att[a + t2] as number) * inv : 0;
        const o = b * T * C + t * C + h * hs;
        for (let i = 0; i < hs; i++) out[o + i] = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const v = b * T * C3 + t2 * C3 + h * hs + 2 * C;
          const p = att[a + t2] as number;
          for (let i = 0; i < hs; i++) out[o + i] = (out[o + i] as number) + p * (qkv[v + i] as number);
        }
      }
}

function attentionBackward(dqkv: Float32Array, dout: Float32Array, qkv: Float32Array, att: Float32Array, scratch: Float32Array, B: number, T: number, C: number, NH: number): void {
  const C3 = 3 * C;
  const hs = C / NH;
  const scale = 1 / Math.sqrt(hs);
  for (let b = 0; b < B; b++)
    for (let t = 0; t < T; t++)
      for (let h = 0; h < NH; h++) {
        const a = ((b * NH + h) * T + t) * T;
        const o = b * T * C + t * C + h * hs;
        const q = b * T * C3 + t * C3 + h * hs;
        // datt and dvalue
        let dot = 0;
        for (let t2 = 0; t2 <= t; t2++) {
          const v = b * T * C3 + t2 * C3 + h * hs + 2 * C;
          const p = att[a + t2] as number;
          let da = 0;
          for (let i = 0; i < hs; i++) {
            const d = dout[o + i] as number;
            da += (qkv[v + i] as number) * d;
            dqkv[v + i] = (dqkv[v + i] as number) + p * d;
          }
          scratch[t2] = da;
          dot += p * da;
        }
        // softmax backward, then into q and k
        for (let t2 = 0; t2 <= t; t2++) {
          const dpre = (att[a + t2] as number) * ((scratch[t2] as number) - dot) * scale;
          const k = b * T * C3 + t2 * C3 + h * hs + C;
          for (let i = 0; i < hs; i++) {
            dqkv[q + i] = (dqkv[q + i] as number) + (qkv[k + i] as number) * dpre;
            dqkv[k + i] = (dqkv[k + i] as number) + (qkv[q + i] as number) * dpre;
          }
        }
      }
}

const GELU_K = Math.sqrt(2 / Math.PI);

function geluForward(out: Float32Array, inp: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i] as number;
    out[i] = 0.5 * x * (1 + Math.tanh(GELU_K * (x + 0.044715 * x * x * x)));
  }
}

function geluBackward(dinp: Float32Array, inp: Float32Array, dout: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) {
    const x = inp[i] as number;
    const u = GELU_K * (x + 0.044715 * x * x * x);
    const th = Math.tanh(u);
    const sech2 = 1 - th * th;
    const g = 0.5 * (1 + th) + 0.5 * x * sech2 * GELU_K * (1 + 3 * 0.044715 * x * x);
    dinp[i] = (dinp[i] as number) + g * (dout[i] as number);
  }
}

function residualForward(out: Float32Array, a: Float32Array, b: Float32Array, N: number): void {
  for (let i = 0; i < N; i++) out[i] = (a[i] as number) + (b[i] as number);
}

// ---------------------------------------------------------------- model

interface LayerActs {
  ln1: Float32Array;
  ln1Mean: Float32Array;
  ln1Rstd: Float32Array;
  qkv: Float32Array;
  att: Float32Array;
  atty: Float32Array;
  attproj: Float32Array;
  res2: Float32Array;
  ln2: Float32Array;
  ln2Mean: Float32Array;
  ln2Rstd: Float32Array;
  fch: Float32Array;
  fchGelu: Float32Array;
  fcproj: Float32Array;
  res3: Float32Array;
}

/** Training-time model for a fixed batch shape B x T; params and grads are flat vectors owned by the caller. */
export class GPT {
  readonly cfg: ModelConfig;
  readonly B: number;
  readonly T: number;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly p: Views;
  readonly g: Views;
  readonly enc: Float32Array;
  readonly acts: LayerActs[];
  readonly lnf: Float32Array;
  readonly lnfMean: Float32Array;
  readonly lnfRstd: Float32Array;
  readonly probs: Float32Array;
  // backward scratch
  readonly dres: Float32Array;
  readonly dres2: Float32Array;
  readonly dln: Float32Array;
  readonly dqkv: Float32Array;
  readonly datty: Float32Array;
  readonly dfch: Float32Array;
  readonly dfchGelu: Float32Array;
  readonly scratch: Float32Array;
  inputs: Int32Array = new Int32Array(0);
  targets: Int32Array = new Int32Array(0);

  constructor(cfg: ModelConfig, B: number, T: number, params: Float32Array, grads: Float32Array) {
    this.cfg = cfg;
    this.B = B;
    this.T = T;
    this.params = params;
    this.grads = grads;
    this.p = views(cfg, params);
    this.g = views(cfg, grads);
    const N = B * T;
    const C = cfg.d;
    const f = (n: number): Float32Array => new Float32Array(n);
    this.enc = f(N * C);
    this.acts = [];
    for (let l = 0; l < cfg.layers; l++)
      this.acts.push({
        ln1: f(N * C),
        ln1Mean: f(N),
        ln1Rstd: f(N),
        qkv: f(N * 3 * C),
        att: f(B * cfg.heads * T * T),
        atty: f(N * C),
        attproj: f(N * C),
        res2: f(N * C),
        ln2: f(N * C),
        ln2Mean: f(N),
        ln2Rstd: f(N),
        fch: f(N * 4 * C),
        fchGelu: f(N * 4 * C),
        fcproj: f(N * C),
        res3: f(N * C),
      });
    this.lnf = f(N * C);
    this.lnfMean = f(N);
    this.lnfRstd = f(N);
    this.probs = f(N * cfg.vocab);
    this.dres = f(N * C);
    this.dres2 = f(N * C);
    this.dln = f(N * C);
    this.dqkv = f(N * 3 * C);
    this.datty = f(N * C);
    this.dfch = f(N * 4 * C);
    this.dfchGelu = f(N * 4 * C);
    this.scratch = f(T);
  }

  /** Forward pass; returns the mean cross-entropy loss (nats per token). */
  forward(inputs: Int32Array, targets: Int32Array): number {
    const { B, T, cfg } = this;
    const C = cfg.d;
    const N = B * T;
    const V = cfg.vocab;
    this.inputs = inputs;
    this.targets = targets;
    encoderForward(this.enc, inputs, this.p.wte, this.p.wpe, B, T, C);
    let res = this.enc;
    for (let l = 0; l < cfg.layers; l++) {
      const a = this.acts[l] as LayerActs;
      const w = this.p.layers[l] as Views['layers'][number];
      layernormForward(a.ln1, a.ln1Mean, a.ln1Rstd, res, w.ln1w, w.ln1b, N, C);
      matmulForward(a.qkv, a.ln1, w.qkvw, w.qkvb, N, C, 3 * C);
      attentionForward(a.atty, a.att, a.qkv, B, T, C, cfg.heads);
      matmulForward(a.attproj, a.atty, w.projw, w.projb, N, C, C);
      residualForward(a.res2, res, a.attproj, N * C);
      layernormForward(a.ln2, a.ln2Mean, a.ln2Rstd, a.res2, w.ln2w, w.ln2b, N, C);
      matmulForward(a.fch, a.ln2, w.fcw, w.fcb, N, C, 4 * C);
      geluForward(a.fchGelu, a.fch, N * 4 * C);
      matmulForward(a.fcproj, a.fchGelu, w.fcprojw, w.fcprojb, N, 4 * C, C);
      residualForward(a.res3, a.res2, a.fcproj, N * C);
      res = a.res3;
    }
    layernormForward(this.lnf, this.lnfMean, this.lnfRstd, res, this.p.lnfw, this.p.lnfb, N, C);
    matmulForward(this.probs, this.lnf, this.p.wte, null, N, C, V);
    let loss = 0;
    for (let n = 0; n < N; n++) {
      const o = n * V;
      let max = -Infinity;
      for (let v = 0; v < V; v++) if ((this.probs[o + v] as number) > max) max = this.probs[o + v] as number;
      let sum = 0;
      for (let v = 0; v < V; v++) {
        const e = Math.exp((this.probs[o + v] as number) - max);
        this.probs[o + v] = e;
        sum += e;
      }
      for (let v = 0; v < V; v++) this.probs[o + v] = (this.probs[o + v] as number) / sum;
      loss -= Math.log(this.probs[o + (targets[n] as number)] as number);
    }
    return loss / N;
  }

  /** Backward pass of the last forward; adds into grads (the caller zeroes them). */
  backward(): void {
    const { B, T, cfg } = this;
    const C = cfg.d;
    const N = B * T;
    const V = cfg.vocab;
    // dlogits in place of probs
    const dlogits = this.probs;
    for (let n = 0; n < N; n++) {
      const t = this.targets[n] as number;
      dlogits[n * V + t] = (dlogits[n * V + t] as number) - 1;
    }
    for (let i = 0; i < N * V; i++) dlogits[i] = (dlogits[i] as number) / N;
    this.dln.fill(0);
    matmulBackward(this.dln, this.g.wte, null, dlogits, this.lnf, this.p.wte, N, C, V);
    const lastRes = cfg.layers > 0 ? (this.acts[cfg.layers - 1] as LayerActs).res3 : this.enc;
    this.dres.fill(0);
    layernormBackward(this.dres, this.g.lnfw, this.g.lnfb, this.dln, lastRes, this.p.lnfw, this.lnfMean, this.lnfRstd, N, C);
    // dres holds d(res3 of the last layer)
    for (let l = cfg.layers - 1; l >= 0; l--) {
      const a = this.acts[l] as LayerActs;
      const w = this.p.layers[l] as Views['layers'][number];
      const gw = this.g.layers[l] as Views['layers'][number];
      const resIn = l === 0 ? this.enc : (this.acts[l - 1] as LayerActs).res3;
      // res3 = res2 + fcproj: dres2 = dres, dfcproj = dres
      this.dres2.set(this.dres);
      this.dfchGelu.fill(0);
      matmulBackward(this.dfchGelu, gw.fcprojw, gw.fcprojb, this.dres, a.fchGelu, w.fcprojw, N, 4 * C, C);
      this.dfch.fill(0);
      geluBackward(this.dfch, a.fch, this.dfchGelu, N * 4 * C);
      this.dln.fill(0);
      matmulBackward(this.dln, gw.fcw, gw.fcb, this.dfch, a.ln2, w.fcw, N, C, 4 * C);
      layernormBackward(this.dres2, gw.ln2w, gw.ln2b, this.dln, a.res2, w.ln2w, a.ln2Mean, a.ln2Rstd, N, C);
      // res2 = resIn + attproj: dresIn = dres2, dattproj = dres2
      this.dres.set(this.dres2);
      this.datty.fill(0);
      matmulBackward(this.datty, gw.projw, gw.projb, this.dres2, a.atty, w.projw, N, C, C);
      this.dqkv.fill(0);
      attentionBackward(this.dqkv, this.datty, a.qkv, a.att, this.scratch, B, T, C, cfg.heads);
      this.dln.fill(0);
      matmulBackward(this.dln, gw.qkvw, gw.qkvb, this.dqkv, a.ln1, w.qkvw, N, C, 3 * C);
      layernormBackward(this.dres, gw.ln1w, gw.ln1b, this.dln, resIn, w.ln1w, a.ln1Mean, a.ln1Rstd, N, C);
    }
    encoderBackward(this.g.wte, this.g.wpe, this.dres, this.inputs, B, T, C);
  }
}
