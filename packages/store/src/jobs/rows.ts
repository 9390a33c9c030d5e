import type { JobState } from '@agora/core';

/** Row types of the jobs area, declared once: what the queries in this folder return. */

export interface JobRow {
  id: number;
  collaboration_id: number;
  submission_id: number;
  split: string;
  visibility: 'public' | 'private';
  repeats: number;
  hardware: string[];
  state: JobState;
  reason: string | null;
  overdue_at: Date | null;
  originator_id: number;
  sponsor_id: number | null;
  requested_by: number;
  rerun_of: number | null;
  attempt: number;
  max_attempts: number;
  cancel_requested: boolean;
  runner_id: number | null;
  lease_token_hash: string | null;
  lease_expires_at: Date | null;
  offline: boolean;
  /** A smoke run: uncharged, one untimed request, no result row (decision 0180). */
  smoke: boolean;
  log_lines: number;
  log_bytes: number;
  log_truncated: boolean;
  queued_at: Date;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
}

/** A job with the names the API shows beside it. */
export interface JobViewRow extends JobRow {
  slug: string;
  originator_handle: string;
  sponsor_handle: string | null;
  requester_handle: string;
  charged: boolean;
  refunded: boolean;
}

export interface AttemptRow {
  job_id: number;
  attempt: number;
  runner_id: number;
  runner_name: string;
  started_at: Date;
  ended_at: Date | null;
  outcome: string | null;
  reason: string | null;
}

export interface ResultRow {
  job_id: number;
  hardware_class: string;
  metric: { name: string; unit: string; direction: 'maximize' | 'minimize' };
  samples: number[];
  guardrails: Array<Record<string, unknown>>;
  guardrails_passed: boolean;
  per_prompt: Array<Record<string, unknown>>;
  extra: Record<string, unknown>;
  harness: { name: string; version: string };
  environment: Record<string, unknown>;
  created_at: Date;
}

export type LogStreamName = 'harness' | 'stdout' | 'stderr' | 'runner' | 'platform';

export interface LogLineRow {
  seq: number;
  stream: LogStreamName;
  text: string;
  created_at: Date;
}

/** The submission fields a job needs. */
export interface JobSubmissionRow {
  id: number;
  author_id: number;
  author_handle: string;
  staged: boolean;
  invalidated_at: Date | null;
  invalidated_reason: string | null;
  withdrawn_at: Date | null;
  title: string;
}
