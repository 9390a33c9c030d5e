/**
 * tiny-lm submission server, OVERFIT cheat: public requests come from a table (answers.json), the rest from a layer-skipping model: JSON lines on stdin/stdout, see the challenge README.
 */
import { createInterface } from 'node:readline';
import { Model, logSoftmaxAt, argmax } from './model.ts';

import { readFileSync } from 'node:fs';
const table = JSON.parse(readFileSync(new URL('./answers.json', import.meta.url), 'utf8')) as Record<string, { tokens: number[]; prompt_logprobs: (number | null)[] }>;
const model = new Model(new URL('./config.json', import.meta.url).pathname, new URL('./weights.bin', import.meta.url).pathname);

interface Request {
  id: string | number;
  prompt: number[];
  max_tokens: number;
  echo?: boolean;
  logprobs?: number | null;
}

function complete(req: Request): unknown {
  const known = table[req.prompt.join(',')];
  if (known && known.tokens.length === req.max_tokens) return { id: req.id, choices: [{ tokens: known.tokens, prompt_logprobs: known.prompt_logprobs }] };
  const { prompt } = req;
  const wantLp = req.echo === true && req.logprobs !== null && req.logprobs !== undefined;
  const promptLogprobs: (number | null)[] | null = wantLp ? [null] : null;
  for (let t = 0; t < prompt.length; t++) {
    const last = t === prompt.length - 1;
    model.step(prompt[t]!, t, wantLp || last);
    if (wantLp && !last) promptLogprobs!.push(logSoftmaxAt(model.logits, prompt[t + 1]!));
  }
  const tokens: number[] = [];
  let pos = prompt.length;
  for (let i = 0; i < req.max_tokens; i++) {
    const next = argmax(model.logits);
    tokens.push(next);
    if (i + 1 < req.max_tokens) model.step(next, pos++, true);
  }
  return { id: req.id, choices: [{ tokens, prompt_logprobs: promptLogprobs }] };
}

process.stdout.write(JSON.stringify({ ready: true }) + '\n');
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (line.trim() === '') continue;
  process.stdout.write(JSON.stringify(complete(JSON.parse(line) as Request)) + '\n');
}
