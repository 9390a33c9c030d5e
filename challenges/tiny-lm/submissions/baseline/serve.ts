/**
 * tiny-lm submission server: JSON lines on stdin/stdout (see the challenge README, "Protocol").
 * Prints {"ready":true} once loaded, then answers one request per line, in order.
 */
import { createInterface } from 'node:readline';
import { Model, logSoftmax, argmax } from './model.ts';

const model = new Model(new URL('./config.json', import.meta.url).pathname, new URL('./weights.bin', import.meta.url).pathname);

interface Request {
  id: string | number;
  prompt: number[];
  max_tokens: number;
  temperature?: number;
  echo?: boolean;
  logprobs?: number | null;
}

function complete(req: Request): unknown {
  const seq = [...req.prompt];
  let promptLogprobs: (number | null)[] | null = null;
  const wantLp = req.echo === true && req.logprobs !== null && req.logprobs !== undefined;
  let logits = model.forward(seq, wantLp);
  if (wantLp) {
    promptLogprobs = [null];
    for (let t = 1; t < seq.length; t++) promptLogprobs.push(logSoftmax(logits[t - 1]!)[seq[t]!]!);
  }
  const tokens: number[] = [];
  for (let i = 0; i < req.max_tokens; i++) {
    if (i > 0) logits = model.forward(seq, false); // recompute everything: the baseline's (deliberate) waste
    const next = argmax(logits[logits.length - 1]!);
    tokens.push(next);
    seq.push(next);
  }
  return { id: req.id, choices: [{ tokens, prompt_logprobs: promptLogprobs }] };
}

process.stdout.write(JSON.stringify({ ready: true }) + '\n');
const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (line.trim() === '') continue;
  process.stdout.write(JSON.stringify(complete(JSON.parse(line) as Request)) + '\n');
}
