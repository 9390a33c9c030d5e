/**
 * The rows a leaderboard or a comparison pools: one per succeeded job's result on a split, of
 * submissions not invalidated, with the submission's fingerprint (duplicates pool into their
 * original), author and the job's sponsor. The interleaved baseline's samples of the job, where
 * the harness ran one, come from its extra.interleaved_baseline.samples.
 */
export interface BoardResultRow {
  job_id: number;
  submission_id: number;
  fingerprint: string;
  title: string;
  author_id: number;
  author_handle: string;
  hardware_class: string;
  samples: number[];
  baseline_samples: unknown;
  guardrails: Array<{ name: string; passed: boolean }>;
  guardrails_passed: boolean;
  sponsor_id: number | null;
  sponsor_handle: string | null;
  created_at: Date;
}

