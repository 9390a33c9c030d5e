/**
 * Character tokenizer: token id = index in VOCAB. 64 symbols; '#' (63) stands for anything else.
 * The same string is written into model/config.json, which is what submissions and the harness read.
 */
export const VOCAB = '\n !"\',-.:;?abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ#';

const index = new Map<string, number>([...VOCAB].map((c, i) => [c, i]));

export function encode(text: string): number[] {
  const out: number[] = [];
  for (const c of text) out.push(index.get(c) ?? VOCAB.length - 1);
  return out;
}

export function decode(tokens: readonly number[]): string {
  let s = '';
  for (const t of tokens) s += VOCAB[t] ?? '#';
  return s;
}
