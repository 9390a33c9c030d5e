/**
 * tiny-lm's request pools and the per-job draw (docs/decisions/0106-tiny-lm-guardrails.md).
 *
 * A split is a pool of prompt texts and a pool of held-out texts, windows of generated stories
 * whose lengths are drawn from ONE distribution (LENGTHS), so a submission cannot tell a held-out
 * request from a prompt by its length. The public pools are files in data/public (made by
 * training/make-data.ts); the private pools are generated here, in the runner, from the seed in
 * AGORA_TINY_LM_PRIVATE_SEED, so nothing in the repository lets anyone rebuild them. Each job draws
 * its own requests from the pools with its own seed: which requests, and in which order.
 */
import { createHash, randomBytes } from 'node:crypto';
import { generate, rng } from '../training/corpus.ts';

export interface TextItem {
  id: string;
  text: string;
}

export interface Pools {
  prompts: TextItem[];
  heldout: TextItem[];
  /** Where they came from: files of the public split, or generated from the private seed. */
  source: 'files' | 'private-seed' | 'development-seed';
}

/** Prompt and held-out window lengths, in characters (= tokens): one distribution for both kinds. */
export const LENGTHS = { min: 16, max: 64 } as const;
/** Requests of each kind in one repeat: 3 repeats x 24 requests x 16 tokens = 1,152 fidelity tokens a job (decision 0106). */
export const PER_REPEAT = { prompts: 16, heldout: 8 } as const;
/** Pool sizes: the public files hold these; the private pools are generated this large. */
export const POOL = { prompts: 192, heldout: 96 } as const;

export const PRIVATE_SEED_VAR = 'AGORA_TINY_LM_PRIVATE_SEED';
const DEVELOPMENT_SEED = 'agora-tiny-lm-dev-private-seed-not-secret';

/** A 32-bit seed for the corpus generator from any string. */
export function seed32(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32LE(0);
}

/** A fresh per-job seed (recorded in the result, so that a job can be reproduced with --seed). */
export function newJobSeed(): string {
  return randomBytes(8).toString('hex');
}

/** Sentence starts of the text generated from `seed`. */
function source(seed: number, chars = 80_000): { text: string; starts: number[] } {
  const text = generate(seed, chars);
  const starts: number[] = [];
  for (let i = 2; i < text.length - LENGTHS.max - 1; i++) if (/[.\n"] $|\n$/.test(text.slice(i - 2, i)) && /[A-Z"]/.test(text[i] as string)) starts.push(i);
  return { text, starts };
}

/** `count` windows at distinct sentence starts, each of a length drawn uniformly from LENGTHS. */
export function windows(seed: number, count: number, prefix: string): TextItem[] {
  const src = source(seed);
  const r = rng(seed ^ 0x5bd1e995);
  const used = new Set<number>();
  if (src.starts.length < count) throw new Error(`not enough sentence starts for ${count} windows`);
  return Array.from({ length: count }, (_, i) => {
    let s: number;
    do s = src.starts[Math.floor(r() * src.starts.length)] as number;
    while (used.has(s));
    used.add(s);
    const len = LENGTHS.min + Math.floor(r() * (LENGTHS.max - LENGTHS.min + 1));
    return { id: `${prefix}${i}`, text: src.text.slice(s, s + len) };
  });
}

/** The private pools, from the runner's secret (or, on a development machine without one, a published stand-in). */
export function privatePools(env: NodeJS.ProcessEnv = process.env): Pools {
  const secret = env[PRIVATE_SEED_VAR];
  const seed = secret && secret.length > 0 ? secret : DEVELOPMENT_SEED;
  return {
    prompts: windows(seed32(`prompts:${seed}`), POOL.prompts, 'q'),
    heldout: windows(seed32(`heldout:${seed}`), POOL.heldout, 'k'),
    source: secret ? 'private-seed' : 'development-seed',
  };
}

function shuffled<T>(xs: readonly T[], seed: string): T[] {
  const r = rng(seed32(seed));
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a;
}

export interface Drawn<T> {
  kind: 'prompt' | 'heldout';
  item: T;
}

/**
 * The requests of each repeat: `perRepeat` of each kind, distinct across the whole job (a pool is
 * shuffled with the job's seed and dealt out), mixed in an order of their own per repeat.
 */
export function drawRequests<T>(pools: { prompts: readonly T[]; heldout: readonly T[] }, repeats: number, jobSeed: string, perRepeat: { prompts: number; heldout: number } = PER_REPEAT): Drawn<T>[][] {
  const need = (kind: string, pool: readonly T[], n: number) => {
    if (pool.length < n * repeats) throw new Error(`the ${kind} pool holds ${pool.length}, a job of ${repeats} repeats needs ${n * repeats}`);
  };
  need('prompt', pools.prompts, perRepeat.prompts);
  need('held-out', pools.heldout, perRepeat.heldout);
  const p = shuffled(pools.prompts, `prompts-${jobSeed}`);
  const h = shuffled(pools.heldout, `heldout-${jobSeed}`);
  return Array.from({ length: repeats }, (_, r) =>
    shuffled<Drawn<T>>([
      ...p.slice(r * perRepeat.prompts, (r + 1) * perRepeat.prompts).map((item) => ({ kind: 'prompt' as const, item })),
      ...h.slice(r * perRepeat.heldout, (r + 1) * perRepeat.heldout).map((item) => ({ kind: 'heldout' as const, item })),
    ], `order-${jobSeed}-${r}`));
}

/** An opaque request id: nothing in it says which request, or which kind, it is. */
export function requestId(jobSeed: string, n: number): string {
  return `r${createHash('sha256').update(`${jobSeed}:${n}`).digest('hex').slice(0, 12)}`;
}
