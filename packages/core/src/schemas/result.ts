import { z } from 'zod';

/**
 * What every harness writes, whatever its language: the contract between a challenge's trusted
 * harness and the platform. docs/harness-result.md describes it for harness authors.
 * Samples are kept whole (every repeat, every prompt), never just a mean.
 */
export const GuardrailOutcome = z.object({
  name: z.string().min(1).max(64),
  value: z.number().nullable(),
  threshold: z.number(),
  op: z.enum(['<=', '>=']),
  passed: z.boolean(),
  detail: z.record(z.string(), z.unknown()).default({}),
});
export type GuardrailOutcome = z.infer<typeof GuardrailOutcome>;

export const HarnessResult = z.object({
  harness: z.object({ name: z.string(), version: z.string() }),
  split: z.string().min(1).max(32),
  /** ok: scored; failed: the submission's fault (crashed, broke the protocol, was killed), charged. */
  status: z.enum(['ok', 'failed']),
  failure: z
    .object({ code: z.string().max(64), reason: z.string().max(4000) })
    .nullable()
    .default(null),
  metric: z.object({
    name: z.string(),
    unit: z.string(),
    direction: z.enum(['maximize', 'minimize']),
    /** One value per repeat; the score of a job pools them all. */
    samples: z.array(z.number()),
  }),
  guardrails: z.array(GuardrailOutcome).default([]),
  /** Per-prompt (or per-request) records; free-form per harness. */
  samples: z.array(z.record(z.string(), z.unknown())).default([]),
  environment: z.record(z.string(), z.unknown()).default({}),
  /** Anything else the harness measured: roofline, latency percentiles, timings. */
  extra: z.record(z.string(), z.unknown()).default({}),
});
export type HarnessResult = z.infer<typeof HarnessResult>;
