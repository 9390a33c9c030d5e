import { z } from 'zod';
import { scheduleProblem } from '../integrity/schedule.ts';

/** `challenge.yaml`: the whole definition of a challenge. Field names are snake_case as written in YAML. */
export const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, starting with a letter or digit, at most 63');

export const MetricSpec = z.object({
  name: z.string().min(1).max(64),
  unit: z.string().min(1).max(32),
  direction: z.enum(['maximize', 'minimize']),
  description: z.string().max(2000).optional(),
});

export const GuardrailSpec = z.object({
  name: z.string().min(1).max(64),
  op: z.enum(['<=', '>=']),
  threshold: z.number(),
  description: z.string().max(2000).optional(),
});

export const ScheduleSpec = z
  .object({ start: z.iso.datetime({ offset: true }).optional(), freeze: z.iso.datetime({ offset: true }).optional(), end: z.iso.datetime({ offset: true }).optional() })
  .strict()
  .superRefine((s, ctx) => {
    const problem = scheduleProblem(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const ChallengePath = z.string().min(1).max(200).regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/, 'a relative path inside the bundle');

/**
 * The file a harness reads to start a submission (tiny-lm's agora.json, llm-decode's manifest.json):
 * its fields and their types, so an upload is checked without running anything (core/src/submissions/checks.ts).
 */
export const ManifestSpec = z
  .object({
    file: ChallengePath,
    /** Every field the manifest may have; one not listed is refused (a misspelt field the harness would ignore). */
    fields: z.record(
      z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/),
      z.object({
        /** argv: the command that starts the server, a non-empty list of non-empty strings. */
        type: z.enum(['argv', 'string', 'string_map', 'boolean', 'number']),
        required: z.boolean().default(false),
      }).strict(),
    ),
    /** The {name} placeholders the harness substitutes in an argv ({port}, {model}); any other is refused. */
    placeholders: z.array(z.string().regex(/^[a-z][a-z0-9_]{0,31}$/)).max(20).default([]),
  })
  .strict();
export type ManifestSpec = z.infer<typeof ManifestSpec>;

export const SmokeSpec = z
  .object({
    /** Smoke runs a participant may ask for in 24 hours, in this collaboration (0: none). */
    runs_per_day: z.number().int().min(0).max(1000).default(5),
    /** The wall-clock limit of a smoke run (starting the server and one request). */
    wall_seconds: z.number().int().min(1).max(3600).default(120),
  })
  .strict();

export const ChallengeSpec = z
  .object({
    id: Slug,
    title: z.string().min(1).max(200),
    /** Markdown rules shown to agents; or `rules_file`, a path inside the challenge folder. */
    rules: z.string().max(100_000).optional(),
    rules_file: z.string().max(200).optional(),
    metric: MetricSpec,
    guardrails: z.array(GuardrailSpec).max(16).default([]),
    /** Runner labels a job needs, e.g. [cpu] or [gpu, h100]. */
    hardware: z.array(z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,31}$/)).min(1),
    quota: z
      .object({
        jobs_per_day: z.number().int().min(0).max(10_000).default(10),
        jobs_per_owner_per_day: z.number().int().min(0).max(100_000).optional(),
      })
      .default({ jobs_per_day: 10 }),
    repeats: z.number().int().min(1).max(100).default(3),
    limits: z
      .object({
        wall_seconds: z.number().int().min(1).max(24 * 3600).default(600),
        cpu_seconds: z.number().int().min(1).max(7 * 24 * 3600).default(1200),
        memory_mb: z.number().int().min(16).max(1_048_576).default(2048),
        processes: z.number().int().min(1).max(4096).default(64),
      })
      .default({ wall_seconds: 600, cpu_seconds: 1200, memory_mb: 2048, processes: 64 }),
    harness: z.object({
      /** argv run from the challenge folder; the runner appends --submission DIR --split NAME --out FILE. */
      command: z.array(z.string().min(1)).min(1),
      version: z.string().default('1'),
    }),
    splits: z
      .record(Slug, z.object({ visibility: z.enum(['public', 'private']), description: z.string().optional() }))
      .default({ public: { visibility: 'public' }, private: { visibility: 'private' } }),
    submission: z
      .object({
        max_bytes: z.number().int().min(1).max(10 * 1024 ** 3).default(50 * 1024 ** 2),
        max_files: z.number().int().min(1).max(100_000).default(2000),
        /** Files every bundle must hold (the manifest's file is implied), checked at upload. */
        required_files: z.array(ChallengePath).max(50).default([]),
        manifest: ManifestSpec.optional(),
      })
      .default({ max_bytes: 50 * 1024 ** 2, max_files: 2000, required_files: [] }),
    /** A free, short smoke run: one untimed request on public data (docs/decisions/0180); absent, none is offered. */
    smoke: SmokeSpec.optional(),
    registration: z
      .object({ open: z.boolean().default(false), anonymous_observers: z.boolean().default(true) })
      .default({ open: false, anonymous_observers: true }),
    /** How the leaderboard tells results apart (docs/decisions/0105-significance.md). */
    significance: z
      .object({
        confidence: z.number().gt(0.5).lt(1).default(0.95),
        /** log: a positive metric (a speed), intervals of the geometric mean; linear: a metric that can be zero or negative. */
        scale: z.enum(['log', 'linear']).default('log'),
        /** An entry is ranked once its pool (all submissions of one fingerprint on one hardware class) has this many jobs... */
        min_jobs: z.number().int().min(1).max(1000).default(1),
        /** ...and this many samples. */
        min_samples: z.number().int().min(2).max(100_000).default(2),
        /** A submission folder inside the challenge, interleaved with every job on the same runner: each result carries its ratio to it. */
        baseline: z.string().min(1).max(200).regex(/^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9._/-]+$/, 'a relative path inside the challenge folder').optional(),
      })
      .default({ confidence: 0.95, scale: 'log', min_jobs: 1, min_samples: 2 }),
    /**
     * Automatic private verification (docs/decisions/0140): the top `top_k` ranked entries of each
     * hardware class once a day and every new leader are re-run on the private split, uncharged
     * (the collaboration's budget, not the author's). `release_minutes`: participants see a private
     * job's outcome, its times and its verdict only at the next multiple of this period, so how long
     * a submission runs tells them at most which period it ended in (0: at once).
     */
    verification: z
      .object({
        top_k: z.number().int().min(0).max(100).default(3),
        release_minutes: z.number().int().min(0).max(24 * 60).default(60),
      })
      .default({ top_k: 3, release_minutes: 60 }),
    /** Optional times (ISO 8601 with an offset): see core/src/integrity/schedule.ts. */
    schedule: ScheduleSpec.optional(),
  })
  .strict();
export type ChallengeSpec = z.infer<typeof ChallengeSpec>;
