/**
 * Makes the challenge data from the trained model, reproducibly:
 *   data/<split>/prompts.json    prompt texts (windows of fresh generated stories, starting at a sentence)
 *   data/<split>/heldout.json    held-out text for perplexity (windows of other fresh stories)
 *   data/<split>/reference.json  reference greedy decodes of every request (float64 reference model)
 *                                and the reference perplexity of the held-out text
 * and copies model/config.json + model/weights.bin into each submission bundle that ships them.
 *
 *   node training/make-data.ts
 */
import { writeFileSync, mkdirSync, copyFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, rng } from './corpus.ts';
import { loadWeights, greedy, forwardAll, logSoftmax } from '../harness/reference.ts';
import { loadSettings, encodeWith } from '../harness/run.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

export const SPLITS = {
  public: { promptSeed: 1001, heldoutSeed: 3003, prompts: 5, heldout: 4 },
  private: { promptSeed: 2002, heldoutSeed: 4004, prompts: 5, heldout: 4 },
} as const;

/** `n` windows of length in [minLen, maxLen] from text generated with `seed`, each starting at a sentence start. */
function windows(seed: number, n: number, minLen: number, maxLen: number, prefix: string): { id: string; text: string }[] {
  const text = generate(seed, 40_000);
  const r = rng(seed + 7);
  const starts: number[] = [];
  for (let i = 1; i < text.length - maxLen; i++) if (/[.\n"] $|\n$/.test(text.slice(i - 2, i)) && /[A-Z"]/.test(text[i] as string)) starts.push(i);
  const out: { id: string; text: string }[] = [];
  const used = new Set<number>();
  while (out.length < n) {
    const s = starts[Math.floor(r() * starts.length)] as number;
    if (used.has(s)) continue;
    used.add(s);
    const len = minLen + Math.floor(r() * (maxLen - minLen + 1));
    out.push({ id: `${prefix}${out.length.toString().padStart(2, '0')}`, text: text.slice(s, s + len) });
  }
  return out;
}

function main(): void {
  const W = loadWeights(join(root, 'model'));
  const settings = loadSettings(root);
  const chars = W.cfg.vocab_chars;
  const nllOf = (xs: { text: string }[]): [number, number] => {
    let nll = 0;
    let n = 0;
    for (const h of xs) {
      const toks = encodeWith(chars, h.text);
      const logits = forwardAll(W, toks);
      for (let i = 1; i < toks.length; i++) {
        nll -= logSoftmax(logits[i - 1] as Float64Array)[toks[i] as number] as number;
        n++;
      }
    }
    return [nll, n];
  };
  // Held-out text: each split's few chunks are drawn from a 40-chunk pool of its own fresh text until
  // their reference perplexity is within 1% of the perplexity of both pools together, so that one
  // perplexity threshold in challenge.yaml means the same on both splits.
  const pools: Record<string, { id: string; text: string }[]> = {};
  let tn = 0;
  let tc = 0;
  for (const [split, s] of Object.entries(SPLITS)) {
    pools[split] = windows(s.heldoutSeed, 40, 32, 64, 'x');
    const [a, b] = nllOf(pools[split] as { text: string }[]);
    tn += a;
    tc += b;
  }
  const target = Math.exp(tn / tc);
  console.log(`held-out pools: perplexity ${target.toFixed(4)} over ${tc} tokens`);
  for (const [split, s] of Object.entries(SPLITS)) {
    const dir = join(root, 'data', split);
    mkdirSync(dir, { recursive: true });
    const prompts = windows(s.promptSeed, s.prompts, 16, 56, split === 'public' ? 'p' : 'q');
    const pool = pools[split] as { id: string; text: string }[];
    const pick = rng(s.heldoutSeed + 11);
    let heldout: { id: string; text: string }[] = [];
    for (let attempt = 0; ; attempt++) {
      const idx = new Set<number>();
      while (idx.size < s.heldout) idx.add(Math.floor(pick() * pool.length));
      heldout = [...idx].map((i, j) => ({ id: `${split === 'public' ? 'h' : 'k'}${j.toString().padStart(2, '0')}`, text: (pool[i] as { text: string }).text }));
      const [hn, hc] = nllOf(heldout);
      if (Math.abs(Math.exp(hn / hc) / target - 1) <= 0.01 || attempt > 5000) break;
    }
    const decodes: Record<string, number[]> = {};
    const texts: Record<string, string> = {};
    for (const x of [...prompts, ...heldout]) {
      decodes[x.id] = greedy(W, encodeWith(chars, x.text), settings.max_tokens);
      texts[x.id] = [...(decodes[x.id] as number[])].map((t) => chars[t]).join('');
    }
    let nll = 0;
    let n = 0;
    for (const h of heldout) {
      const toks = encodeWith(chars, h.text);
      const logits = forwardAll(W, toks);
      for (let i = 1; i < toks.length; i++) {
        nll -= (logSoftmax(logits[i - 1] as Float64Array)[toks[i] as number]) as number;
        n++;
      }
    }
    const ppl = Math.exp(nll / n);
    writeFileSync(join(dir, 'prompts.json'), JSON.stringify(prompts, null, 1) + '\n');
    writeFileSync(join(dir, 'heldout.json'), JSON.stringify(heldout, null, 1) + '\n');
    writeFileSync(
      join(dir, 'reference.json'),
      JSON.stringify({ model: 'model/weights.bin (float64 reference, full recomputation)', max_tokens: settings.max_tokens, reference_perplexity: Number(ppl.toFixed(6)), heldout_tokens: n, heldout_pool_perplexity: Number(target.toFixed(6)), decodes, decoded_text: texts }, null, 1) + '\n',
    );
    console.log(`${split}: ${prompts.length} prompts, ${heldout.length} held-out chunks (${n} tokens), reference perplexity ${ppl.toFixed(4)}`);
  }
  const subs = join(root, 'submissions');
  for (const d of readdirSync(subs)) {
    if (!existsSync(join(subs, d, 'weights.bin')) && !existsSync(join(subs, d, 'serve.ts'))) continue;
    if (!existsSync(join(subs, d, 'model.ts'))) continue; // only the bundles that run the model ship its weights
    copyFileSync(join(root, 'model', 'weights.bin'), join(subs, d, 'weights.bin'));
    copyFileSync(join(root, 'model', 'config.json'), join(subs, d, 'config.json'));
    console.log(`copied model into submissions/${d}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
