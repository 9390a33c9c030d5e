/**
 * Makes the public challenge data from the trained model, reproducibly:
 *   data/public/prompts.json    the public prompt pool (windows of generated stories, starting at a sentence)
 *   data/public/heldout.json    the public held-out pool for perplexity (windows of other stories)
 *   data/public/reference.json  reference greedy decodes of every public request (float64 reference model)
 *   data/warmup.json            the untimed warm-up prompts (never timed, never scored)
 * and copies model/config.json + model/weights.bin into each submission bundle that ships them.
 *
 *   node training/make-data.ts
 *
 * Prompts and held-out texts have lengths from one distribution (harness/data.ts), and each job
 * draws its own requests from the pools (decision 0106). The private pools are not made here: the
 * harness generates them in the runner from AGORA_TINY_LM_PRIVATE_SEED. This script also prints the
 * reference perplexity over many random job draws of both kinds of pool, which the perplexity
 * threshold in challenge.yaml is set from.
 */
import { writeFileSync, mkdirSync, copyFileSync, existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadWeights, greedy, forwardAll, logSoftmax } from '../harness/reference.ts';
import { loadSettings, encodeWith } from '../harness/run.ts';
import { drawRequests, privatePools, windows, POOL, type TextItem } from '../harness/data.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

const PUBLIC = { promptSeed: 1001, heldoutSeed: 3003 } as const;
/** Warm-up requests: windows of a story of their own, shaped like the timed ones. */
const warmup = (): TextItem[] => windows(5005, 4, 'w');

function main(): void {
  const W = loadWeights(join(root, 'model'));
  const settings = loadSettings(root);
  const chars = W.cfg.vocab_chars;
  const nll = new Map<string, [number, number]>();
  const nllOf = (h: TextItem): [number, number] => {
    const hit = nll.get(h.text);
    if (hit) return hit;
    const toks = encodeWith(chars, h.text);
    const logits = forwardAll(W, toks);
    let sum = 0;
    for (let i = 1; i < toks.length; i++) sum -= logSoftmax(logits[i - 1] as Float64Array)[toks[i] as number] as number;
    const out: [number, number] = [sum, toks.length - 1];
    nll.set(h.text, out);
    return out;
  };
  const prompts = windows(PUBLIC.promptSeed, POOL.prompts, 'p');
  const heldout = windows(PUBLIC.heldoutSeed, POOL.heldout, 'h');
  const dir = join(root, 'data', 'public');
  mkdirSync(dir, { recursive: true });
  const decodes: Record<string, number[]> = {};
  for (const x of [...prompts, ...heldout]) decodes[x.id] = greedy(W, encodeWith(chars, x.text), settings.max_tokens);
  writeFileSync(join(dir, 'prompts.json'), JSON.stringify(prompts, null, 1) + '\n');
  writeFileSync(join(dir, 'heldout.json'), JSON.stringify(heldout, null, 1) + '\n');
  writeFileSync(join(dir, 'reference.json'), JSON.stringify({ model: 'model/weights.bin (float64 reference, full recomputation)', max_tokens: settings.max_tokens, decodes }) + '\n');
  writeFileSync(join(root, 'data', 'warmup.json'), JSON.stringify(warmup(), null, 1) + '\n');
  console.log(`public: ${prompts.length} prompts, ${heldout.length} held-out texts`);

  // The perplexity a job sees: its held-out draw, pooled over its repeats; over 500 job seeds on
  // the public pool and on the development private pool (the real private pool is the same generator).
  const ppls: number[] = [];
  for (const pools of [{ prompts, heldout }, privatePools({})]) {
    for (let k = 0; k < 500; k++) {
      let s = 0;
      let n = 0;
      for (const rep of drawRequests(pools, 3, `calibration-${k}`)) for (const d of rep) if (d.kind === 'heldout') {
        const [a, b] = nllOf(d.item);
        s += a;
        n += b;
      }
      ppls.push(Math.exp(s / n));
    }
  }
  ppls.sort((a, b) => a - b);
  const q = (p: number) => ppls[Math.min(ppls.length - 1, Math.floor(p * ppls.length))] as number;
  console.log(`reference perplexity over 1,000 job draws: min ${q(0).toFixed(4)}, median ${q(0.5).toFixed(4)}, p99.9 ${q(0.999).toFixed(4)}, max ${ppls.at(-1)!.toFixed(4)}`);
  console.log(`perplexity threshold (1.05 x the largest): ${(1.05 * ppls.at(-1)!).toFixed(3)}`);
  const subs = join(root, 'submissions');
  for (const d of readdirSync(subs)) {
    if (!existsSync(join(subs, d, 'model.ts'))) continue; // only the bundles that run the model ship its weights
    copyFileSync(join(root, 'model', 'weights.bin'), join(subs, d, 'weights.bin'));
    copyFileSync(join(root, 'model', 'config.json'), join(subs, d, 'config.json'));
    console.log(`copied model into submissions/${d}`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
