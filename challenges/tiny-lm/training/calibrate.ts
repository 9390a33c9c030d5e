/**
 * Calibrates the decode-fidelity tolerance: how far do honest implementations of the same model
 * drift from the float64 reference, in logits, from arithmetic alone?
 *
 *   node training/calibrate.ts     prints the figures and writes harness/calibration.json
 *
 * Honest variants measured against the float64 reference (full recomputation):
 *   - baseline: float32 storage, full recomputation, naive loop order;
 *   - faster:   float32 storage, KV cache, 4-way split accumulators (another summation order);
 *   - strict float32: every intermediate rounded to float32, two-way split accumulators (what a
 *     WebAssembly/SIMD float32 kernel does);
 * on every position of every request of both splits (prompt + reference decode) and on windows of
 * the training text. An honest greedy decoder picks argmax of its own logits z', whose reference
 * margin is at most 2 * max_v |z' - z|; so the tolerance must exceed twice the largest drift seen.
 * We set it to (at least) 20x the largest drift, rounded up to one significant digit, and report how
 * many reference positions are near-ties that narrow, to show the tolerance forgives little else.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWeights, forwardAll } from '../harness/reference.ts';
import { encodeWith, loadSettings } from '../harness/run.ts';
import { Model as Baseline } from '../submissions/baseline/model.ts';
import { Model as Faster } from '../submissions/faster/model.ts';
import { Model as Cheat } from '../submissions/cheat/model.ts';
import { fidelityToken, scoreFidelity, type FidelityToken } from '../../../packages/core/src/metrics/fidelity.ts';
import { rng } from './corpus.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const W = loadWeights(join(root, 'model'));
const chars = W.cfg.vocab_chars;
const settings = loadSettings(root);
const mpath = (s: string, f: string): string => join(root, 'submissions', s, f);
const base = new Baseline(mpath('baseline', 'config.json'), mpath('baseline', 'weights.bin'));
const fast = new Faster(mpath('faster', 'config.json'), mpath('faster', 'weights.bin'));
const cheat = new Cheat(mpath('cheat', 'config.json'), mpath('cheat', 'weights.bin'));

const f = Math.fround;

/**
 * The reference computation with every intermediate rounded to float32 (what a WebAssembly or
 * native float32 kernel does; plain JavaScript accumulates in float64 and rounds only on stores).
 * Dot products accumulate in a different order (two interleaved partial sums) on purpose.
 */
function forwardAllStrictF32(tokens: number[]): Float32Array[] {
  const C = W.cfg.d;
  const T = tokens.length;
  const NH = W.cfg.heads;
  const hs = C / NH;
  const g = (n: string): Float32Array => Float32Array.from(W.get(n));
  const dot = (a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number => {
    let s0 = 0;
    let s1 = 0;
    for (let i = 0; i < n; i += 2) {
      s0 = f(s0 + f(a[ao + i]! * b[bo + i]!));
      s1 = f(s1 + f(a[ao + i + 1]! * b[bo + i + 1]!));
    }
    return f(s0 + s1);
  };
  const lin = (x: Float32Array, Wm: Float32Array, b: Float32Array | null, out: number): Float32Array => {
    const y = new Float32Array(out);
    for (let o = 0; o < out; o++) y[o] = f((b === null ? 0 : b[o]!) + dot(Wm, o * x.length, x, 0, x.length));
    return y;
  };
  const ln = (x: Float32Array, w: Float32Array, b: Float32Array): Float32Array => {
    let m = 0;
    for (let i = 0; i < C; i++) m = f(m + x[i]!);
    m = f(m / C);
    let v = 0;
    for (let i = 0; i < C; i++) v = f(v + f(f(x[i]! - m) ** 2));
    const r = f(1 / f(Math.sqrt(f(f(v / C) + W.cfg.layer_norm_eps))));
    return Float32Array.from(x, (xi, i) => f(f(f(f(xi - m) * r) * w[i]!) + b[i]!));
  };
  const wte = g('wte');
  const wpe = g('wpe');
  let xs = tokens.map((tok, t) => Float32Array.from({ length: C }, (_, i) => f(wte[tok * C + i]! + wpe[t * C + i]!)));
  const scale = f(1 / Math.sqrt(hs));
  for (let l = 0; l < W.cfg.layers; l++) {
    const p = (n: string): Float32Array => g(`h${l}.${n}`);
    const [l1w, l1b, qw, qb, pw, pb, l2w, l2b, fw, fb, mw, mb] = ['ln1.w', 'ln1.b', 'attn.qkv.w', 'attn.qkv.b', 'attn.proj.w', 'attn.proj.b', 'ln2.w', 'ln2.b', 'mlp.fc.w', 'mlp.fc.b', 'mlp.proj.w', 'mlp.proj.b'].map(p) as Float32Array[];
    const qkv = xs.map((x) => lin(ln(x, l1w!, l1b!), qw!, qb!, 3 * C));
    xs = xs.map((x, t) => {
      const y = new Float32Array(C);
      for (let h = 0; h < NH; h++) {
        const att = new Float32Array(t + 1);
        for (let t2 = 0; t2 <= t; t2++) att[t2] = f(dot(qkv[t]!, h * hs, qkv[t2]!, C + h * hs, hs) * scale);
        const max = Math.max(...att);
        let sum = 0;
        for (let t2 = 0; t2 <= t; t2++) sum = f(sum + (att[t2] = f(Math.exp(f(att[t2]! - max)))));
        for (let t2 = 0; t2 <= t; t2++)
          for (let i = 0; i < hs; i++) y[h * hs + i] = f(y[h * hs + i]! + f(f(att[t2]! / sum) * qkv[t2]![2 * C + h * hs + i]!));
      }
      const r = Float32Array.from(lin(y, pw!, pb!, C), (v, i) => f(v + x[i]!));
      const hid = lin(ln(r, l2w!, l2b!), fw!, fb!, 4 * C).map((u) => f(0.5 * u * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)))));
      return Float32Array.from(lin(hid, mw!, mb!, C), (v, i) => f(v + r[i]!));
    });
  }
  const lw = g('lnf.w');
  const lb = g('lnf.b');
  return xs.map((x) => lin(ln(x, lw, lb), wte, null, W.cfg.vocab));
}

function stepAll(m: Faster | Cheat, seq: number[]): Float32Array[] {
  const out: Float32Array[] = [];
  for (let t = 0; t < seq.length; t++) {
    m.step(seq[t] as number, t, true);
    out.push(Float32Array.from(m.logits));
  }
  return out;
}

const seqs: number[][] = [];
for (const split of ['public', 'private']) {
  const ref = JSON.parse(readFileSync(join(root, 'data', split, 'reference.json'), 'utf8')) as { decodes: Record<string, number[]> };
  for (const f of ['prompts.json', 'heldout.json'])
    for (const x of JSON.parse(readFileSync(join(root, 'data', split, f), 'utf8')) as { id: string; text: string }[])
      seqs.push([...encodeWith(chars, x.text), ...(ref.decodes[x.id] ?? [])].slice(0, W.cfg.ctx));
}
const train = readFileSync(join(root, 'corpus', 'train.txt'), 'utf8');
const r = rng(77);
for (let i = 0; i < 24; i++) {
  const s = Math.floor(r() * (train.length - W.cfg.ctx));
  seqs.push(encodeWith(chars, train.slice(s, s + W.cfg.ctx)));
}

let maxDriftBase = 0;
let maxDriftFast = 0;
let maxDriftStrict = 0;
let positions = 0;
const gaps: number[] = [];
const cheatTokens: FidelityToken[] = [];
for (const seq of seqs) {
  const z = forwardAll(W, seq);
  const zb = base.forward(seq, true);
  const zf = stepAll(fast, seq);
  const zc = stepAll(cheat, seq);
  const zs = forwardAllStrictF32(seq);
  for (let t = 0; t < seq.length; t++) {
    const ref = z[t] as Float64Array;
    for (let v = 0; v < ref.length; v++) {
      maxDriftBase = Math.max(maxDriftBase, Math.abs((zb[t] as Float32Array)[v]! - ref[v]!));
      maxDriftFast = Math.max(maxDriftFast, Math.abs((zf[t] as Float32Array)[v]! - ref[v]!));
      maxDriftStrict = Math.max(maxDriftStrict, Math.abs((zs[t] as Float32Array)[v]! - ref[v]!));
    }
    const sorted = [...ref].sort((a, b) => b - a);
    gaps.push((sorted[0] as number) - (sorted[1] as number));
    // what a lossy variant's greedy pick looks like to the reference
    const zct = zc[t] as Float32Array;
    let pick = 0;
    for (let v = 1; v < zct.length; v++) if (zct[v]! > zct[pick]!) pick = v;
    cheatTokens.push(fidelityToken(ref, pick));
    positions++;
  }
}
const maxDrift = Math.max(maxDriftBase, maxDriftFast, maxDriftStrict);
const raw = 20 * maxDrift;
const mag = Math.pow(10, Math.floor(Math.log10(raw)));
const suggested = Math.ceil(raw / mag) * mag;
gaps.sort((a, b) => a - b);
const tol = settings.fidelity_tolerance;
const nearTies = gaps.filter((g) => g <= tol).length;
const cheatScore = scoreFidelity({ tokens: cheatTokens, tolerance: tol });
const out = {
  sequences: seqs.length,
  positions,
  max_abs_logit_drift: { baseline_f32: maxDriftBase, faster_f32_kv_cache: maxDriftFast, strict_f32_every_op: maxDriftStrict },
  suggested_tolerance: Number(suggested.toPrecision(2)),
  tolerance_in_settings: tol,
  reference_top1_top2_gap: { min: gaps[0], p01: gaps[Math.floor(0.01 * gaps.length)], median: gaps[Math.floor(0.5 * gaps.length)] },
  positions_with_gap_within_tolerance: nearTies,
  skip_last_layer_fidelity_at_tolerance: cheatScore.fidelity,
};
console.log(JSON.stringify(out, null, 1));
writeFileSync(join(root, 'harness', 'calibration.json'), JSON.stringify(out, null, 1) + '\n');
