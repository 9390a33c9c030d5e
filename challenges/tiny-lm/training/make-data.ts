/**
 * Makes the challenge data from the trained model, reproducibly:
 *   data/<split>/prompts.json    prompt texts (windows of fresh generated stories, starting at a sentence)
 *   data/<split>/heldout.json    held-out text for perplexity (windows of other fresh stories)
 *   data/<split>/reference.json  reference greedy decodes of every request (float64 reference model)
 *                                and the reference perplexity of the held-out text
 *   data/warmup.json             the untimed warm-up prompts (never timed, never scored)
 * and copies model/config.json + model/weights.bin into each submission bundle that ships them.
 *
 *   node training/make-data.ts
 *
 * Each split has SETS disjoint request sets; repeat r of a job uses set r mod SETS, so no request
 * is ever sent twice in a job (an answer cache gains nothing). Every set has the same prompt lengths
 * (PROMPT_LENGTHS, HELDOUT_LENGTHS), so every repeat does the same amount of work.
 */
import { writeFileSync, mkdirSync, copyFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate, rng } from './corpus.ts';
import { loadWeights, greedy, forwardAll, logSoftmax } from '../harness/reference.ts';
import { loadSettings, encodeWith } from '../harness/run.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

export const SETS = 3;
export const PROMPT_LENGTHS = [16, 26, 36, 46, 56];
export const HELDOUT_LENGTHS = [32, 43, 53, 64];
const WARMUP_LENGTHS = [20, 30, 40, 50];
const SPLITS = {
  public: { promptSeed: 1001, heldoutSeed: 3003, promptPrefix: 'p', heldoutPrefix: 'h' },
  private: { promptSeed: 2002, heldoutSeed: 4004, promptPrefix: 'q', heldoutPrefix: 'k' },
} as const;

interface Text {
  id: string;
  set: number;
  text: string;
}

/** Sentence starts of the text generated from `seed`. */
function source(seed: number): { text: string; starts: number[] } {
  const text = generate(seed, 60_000);
  const starts: number[] = [];
  for (let i = 2; i < text.length - 100; i++) if (/[.\n"] $|\n$/.test(text.slice(i - 2, i)) && /[A-Z"]/.test(text[i] as string)) starts.push(i);
  return { text, starts };
}

/** One window per length, each starting at an unused sentence start of `src`. */
function windows(src: { text: string; starts: number[] }, r: () => number, used: Set<number>, lengths: number[], ids: (i: number) => string, set: number): Text[] {
  return lengths.map((len, i) => {
    let s: number;
    do s = src.starts[Math.floor(r() * src.starts.length)] as number;
    while (used.has(s));
    used.add(s);
    return { id: ids(i), set, text: src.text.slice(s, s + len) };
  });
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
  // Held-out text: each set's chunks are drawn from the split's own fresh text until their reference
  // perplexity is within 1% of the perplexity of a 40-chunk pool of both splits' text, so that one
  // perplexity threshold in challenge.yaml means the same on every split and repeat.
  let tn = 0;
  let tc = 0;
  const sources: Record<string, { text: string; starts: number[] }> = {};
  for (const [split, s] of Object.entries(SPLITS)) {
    const src = (sources[split] = source(s.heldoutSeed));
    const pool = windows(src, rng(s.heldoutSeed + 1), new Set(), Array.from({ length: 40 }, (_, i) => HELDOUT_LENGTHS[i % HELDOUT_LENGTHS.length] as number), (i) => `x${i}`, 0);
    const [a, b] = nllOf(pool);
    tn += a;
    tc += b;
  }
  const target = Math.exp(tn / tc);
  console.log(`held-out pools: perplexity ${target.toFixed(4)} over ${tc} tokens`);
  let maxSetPpl = 0;
  for (const [split, s] of Object.entries(SPLITS)) {
    const dir = join(root, 'data', split);
    mkdirSync(dir, { recursive: true });
    const psrc = source(s.promptSeed);
    const pr = rng(s.promptSeed + 7);
    const pused = new Set<number>();
    const hr = rng(s.heldoutSeed + 11);
    const hused = new Set<number>();
    const prompts: Text[] = [];
    const heldout: Text[] = [];
    const setPpl: number[] = [];
    for (let set = 0; set < SETS; set++) {
      prompts.push(...windows(psrc, pr, pused, PROMPT_LENGTHS, (i) => `${s.promptPrefix}${set}${i}`, set));
      for (let attempt = 0; ; attempt++) {
        const tryUsed = new Set(hused);
        const cand = windows(sources[split]!, hr, tryUsed, HELDOUT_LENGTHS, (i) => `${s.heldoutPrefix}${set}${i}`, set);
        const [hn, hc] = nllOf(cand);
        const ppl = Math.exp(hn / hc);
        if (Math.abs(ppl / target - 1) <= 0.01 || attempt > 5000) {
          for (const u of tryUsed) hused.add(u);
          heldout.push(...cand);
          setPpl.push(ppl);
          maxSetPpl = Math.max(maxSetPpl, ppl);
          break;
        }
      }
    }
    const decodes: Record<string, number[]> = {};
    const texts: Record<string, string> = {};
    for (const x of [...prompts, ...heldout]) {
      decodes[x.id] = greedy(W, encodeWith(chars, x.text), settings.max_tokens);
      texts[x.id] = (decodes[x.id] as number[]).map((t) => chars[t]).join('');
    }
    const [an, ac] = nllOf(heldout);
    writeFileSync(join(dir, 'prompts.json'), JSON.stringify(prompts, null, 1) + '\n');
    writeFileSync(join(dir, 'heldout.json'), JSON.stringify(heldout, null, 1) + '\n');
    writeFileSync(
      join(dir, 'reference.json'),
      JSON.stringify(
        {
          model: 'model/weights.bin (float64 reference, full recomputation)',
          max_tokens: settings.max_tokens,
          sets: SETS,
          reference_perplexity: Number(Math.exp(an / ac).toFixed(6)),
          reference_perplexity_per_set: setPpl.map((p) => Number(p.toFixed(6))),
          heldout_tokens: ac,
          heldout_pool_perplexity: Number(target.toFixed(6)),
          decodes,
          decoded_text: texts,
        },
        null,
        1,
      ) + '\n',
    );
    console.log(`${split}: ${SETS} sets of ${PROMPT_LENGTHS.length} prompts + ${HELDOUT_LENGTHS.length} held-out chunks; reference perplexity per set ${setPpl.map((p) => p.toFixed(4)).join(', ')}`);
  }
  const wsrc = source(5005);
  writeFileSync(join(root, 'data', 'warmup.json'), JSON.stringify(windows(wsrc, rng(5006), new Set(), WARMUP_LENGTHS, (i) => `w${i}`, -1), null, 1) + '\n');
  console.log(`perplexity threshold (1.05 x the largest set's): ${(1.05 * maxSetPpl).toFixed(4)}`);
  const subs = join(root, 'submissions');
  for (const d of readdirSync(subs)) {
    if (!existsSync(join(subs, d, 'model.ts'))) continue; // only the bundles that run the model ship its weights
    copyFileSync(join(root, 'model', 'weights.bin'), join(subs, d, 'weights.bin'));
    copyFileSync(join(root, 'model', 'config.json'), join(subs, d, 'config.json'));
    console.log(`copied model into submissions/${d}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
