/**
 * Builds answers.json for the overfit cheat: the full model's answers to every public request
 * (prompt tokens -> emitted tokens and prompt log-probabilities), read from the public data.
 *   node submissions/overfit/build-answers.ts      (from the challenge folder)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Model, logSoftmaxAt, argmax } from '../faster/model.ts';

const here = dirname(fileURLToPath(import.meta.url));
const data = join(here, '..', '..', 'data', 'public');
const settings = JSON.parse(readFileSync(join(here, '..', '..', 'harness', 'settings.json'), 'utf8')) as { max_tokens: number };
const model = new Model(join(here, 'config.json'), join(here, 'weights.bin'));
const chars = (JSON.parse(readFileSync(join(here, 'config.json'), 'utf8')) as { vocab_chars: string }).vocab_chars;
const answers: Record<string, { tokens: number[]; prompt_logprobs: (number | null)[] }> = {};
for (const f of ['prompts.json', 'heldout.json'])
  for (const { text } of JSON.parse(readFileSync(join(data, f), 'utf8')) as { text: string }[]) {
    const prompt = [...text].map((c) => Math.max(0, chars.indexOf(c)));
    const lps: (number | null)[] = [null];
    for (let t = 0; t < prompt.length; t++) {
      model.step(prompt[t]!, t, true);
      if (t + 1 < prompt.length) lps.push(logSoftmaxAt(model.logits, prompt[t + 1]!));
    }
    const tokens: number[] = [];
    for (let i = 0, pos = prompt.length; i < settings.max_tokens; i++) {
      const next = argmax(model.logits);
      tokens.push(next);
      if (i + 1 < settings.max_tokens) model.step(next, pos++, true);
    }
    answers[prompt.join(',')] = { tokens, prompt_logprobs: lps };
  }
writeFileSync(join(here, 'answers.json'), JSON.stringify(answers) + '\n');
console.log(`answers.json: ${Object.keys(answers).length} public requests`);
