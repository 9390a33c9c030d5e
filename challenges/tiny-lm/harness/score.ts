/**
 * Scoring a tiny-lm job, all on the harness side, with the trusted reference model: decode
 * fidelity and exact match from the emitted tokens, perplexity from the held-out requests'
 * log-probabilities, and the agreement of every request's log-probabilities with the reference's.
 */
import type { ChallengeSpec } from '@agora/core';
import { fidelityToken, scoreDecode, type DecodeScore, type FidelityToken } from '@agora/core';
import { forwardAll, greedy, logSoftmax, type Weights } from './reference.ts';
import type { Settings } from './run.ts';

export interface Item {
  id: string;
  kind: 'prompt' | 'heldout' | 'warmup';
  prompt: number[];
  /** The stored reference greedy decode (public split); null where the harness derives it (private). */
  reference: number[] | null;
}

export interface Answer {
  tokens: number[];
  promptLogprobs: number[]; // positions 1..n-1
  seconds: number;
}

/** The reference's greedy decode, from the teacher-forced verdicts: identical up to the first token the reference would not have emitted. */
function derivedReference(W: Weights, item: Item, tokens: number[], ft: FidelityToken[]): number[] {
  const d = ft.findIndex((t) => t.refTop1 !== t.emitted);
  if (d < 0) return tokens;
  return [...tokens.slice(0, d), ...greedy(W, [...item.prompt, ...tokens.slice(0, d)], tokens.length - d)];
}

export function scoreAnswers(W: Weights, answers: { item: Item; repeat: number; answer: Answer }[], spec: ChallengeSpec, settings: Settings, repeats: number) {
  const pplSpec = spec.guardrails.find((g) => g.name === 'perplexity');
  const fidSpec = spec.guardrails.find((g) => g.name === 'decode_fidelity');
  if (!pplSpec || !fidSpec) throw new Error('challenge.yaml must declare the guardrails perplexity and decode_fidelity');
  // the reference model, teacher-forced on prompt + the submission's own emitted tokens
  const scored = answers.map(({ item, answer }) => {
    const logits = forwardAll(W, [...item.prompt, ...answer.tokens.slice(0, -1)]);
    const ft = answer.tokens.map((t, i) => fidelityToken(logits[item.prompt.length - 1 + i] as Float64Array, t));
    const refLogprobs = logits.slice(0, item.prompt.length - 1).map((z, i) => logSoftmax(z)[item.prompt[i + 1] as number] as number);
    return { ft, refLogprobs, reference: item.reference ?? derivedReference(W, item, answer.tokens, ft) };
  });
  const decode = scoreDecode(
    answers.map(({ answer }, k) => ({ tokens: scored[k]!.ft, emitted: answer.tokens, reference: scored[k]!.reference })),
    settings.fidelity_tolerance,
  );

  let nllSum = 0;
  let nllCount = 0;
  let refNllSum = 0;
  let maxGap = 0;
  let heldoutGap = 0;
  let promptGap = 0;
  let promptCount = 0;
  const firstDivergence: Record<string, number | null> = {};
  const perRepeatNll = Array.from({ length: repeats }, () => 0);
  const perRepeatCount = Array.from({ length: repeats }, () => 0);
  const samples = answers.map(({ item, repeat, answer }, k) => {
    const sc = decode.perPrompt[k] as DecodeScore['perPrompt'][number];
    const { ft, refLogprobs } = scored[k]!;
    firstDivergence[item.id] = sc.exact?.firstDivergence ?? null;
    let nll = 0;
    let gap = 0;
    for (let i = 0; i < answer.promptLogprobs.length; i++) {
      const lp = answer.promptLogprobs[i] as number;
      const rlp = refLogprobs[i] as number;
      nll -= lp;
      gap += Math.abs(lp - rlp);
      maxGap = Math.max(maxGap, Math.abs(lp - rlp));
      if (item.kind === 'heldout') refNllSum -= rlp;
    }
    const n = answer.promptLogprobs.length;
    if (item.kind === 'heldout') {
      nllSum += nll;
      nllCount += n;
      heldoutGap += gap;
      perRepeatNll[repeat] = (perRepeatNll[repeat] as number) + nll;
      perRepeatCount[repeat] = (perRepeatCount[repeat] as number) + n;
    } else {
      promptGap += gap;
      promptCount += n;
    }
    return {
      repeat,
      request: item.id,
      kind: item.kind,
      prompt_tokens: item.prompt.length,
      tokens_emitted: answer.tokens.length,
      seconds: Number(answer.seconds.toFixed(6)),
      tokens_per_second: Number((answer.tokens.length / answer.seconds).toFixed(3)),
      fidelity: sc.fidelity,
      faithful: sc.faithful,
      emitted: answer.tokens,
      ref_top1: ft.map((t) => t.refTop1),
      margins: ft.map((t) => Number(t.margin.toFixed(6))),
      identical_to_reference: sc.exact?.identical ?? null,
      matched_reference_positions: sc.exact?.matched ?? null,
      first_divergence: sc.exact?.firstDivergence ?? null,
      prompt_nll_per_token: Number((nll / Math.max(1, n)).toFixed(6)),
      mean_abs_logprob_gap: Number((gap / Math.max(1, n)).toFixed(6)),
    };
  });
  const ppl = nllCount === 0 ? null : Math.exp(nllSum / nllCount);
  const meanHeldoutGap = nllCount === 0 ? 0 : heldoutGap / nllCount;
  const meanPromptGap = promptCount === 0 ? 0 : promptGap / promptCount;
  const consistent = meanHeldoutGap <= settings.logprob_gap_limit && meanPromptGap <= settings.logprob_gap_limit;
  const guardrails = [
    {
      name: 'perplexity',
      value: ppl,
      threshold: pplSpec.threshold,
      op: pplSpec.op,
      // the log-probabilities are the submission's word: on every request they must agree with the reference model
      passed: ppl !== null && (pplSpec.op === '<=' ? ppl <= pplSpec.threshold : ppl >= pplSpec.threshold) && consistent,
      detail: {
        source: 'prompt_logprobs returned by the submission for the held-out text requests (teacher-forced)',
        tokens: nllCount,
        per_repeat: perRepeatNll.map((x, i) => Math.exp(x / Math.max(1, perRepeatCount[i] as number))),
        reference_perplexity: nllCount === 0 ? null : Math.exp(refNllSum / nllCount),
        max_abs_logprob_gap_vs_reference: Number(maxGap.toFixed(6)),
        mean_abs_logprob_gap_vs_reference: Number(meanHeldoutGap.toFixed(6)),
        prompt_requests_mean_abs_logprob_gap: Number(meanPromptGap.toFixed(6)),
        mean_abs_logprob_gap_limit: settings.logprob_gap_limit,
        consistent_with_reference: consistent,
      },
    },
    {
      name: 'decode_fidelity',
      value: decode.fidelity,
      threshold: fidSpec.threshold,
      op: fidSpec.op,
      passed: fidSpec.op === '>=' ? decode.fidelity >= fidSpec.threshold : decode.fidelity <= fidSpec.threshold,
      detail: {
        definition: 'share of emitted tokens (all timed requests, all repeats) that the reference model, teacher-forced on the submission\'s own output, ranks first or within `tolerance` logits of first',
        tolerance: settings.fidelity_tolerance,
        faithful: decode.faithful,
        tokens: decode.tokens,
        top1_rate: decode.top1Rate,
        within_tolerance: decode.perPrompt.reduce((a, p) => a + p.withinTolerance, 0),
        max_margin: Number(Math.max(0, ...decode.perPrompt.map((p) => p.maxMargin)).toFixed(6)),
        exact_match_rate: decode.exactMatchRate,
        identical_prompt_rate: decode.identicalPromptRate,
      },
    },
  ];
  return {
    guardrails,
    samples,
    extra: {
      exact_match_rate: decode.exactMatchRate,
      identical_prompt_rate: decode.identicalPromptRate,
      top1_rate: decode.top1Rate,
      first_divergence: firstDivergence,
    },
  };
}
