import type { Queryable } from '../db.ts';
import type { AttemptRow, ResultRow } from './rows.ts';

/** Results (one per scored job) and attempts, and the rows the leaderboard pools. */

export interface NewResultRow {
  jobId: number;
  collabId: number;
  submissionId: number;
  split: string;
  hardwareClass: string;
  metric: { name: string; unit: string; direction: string };
  samples: number[];
  guardrails: unknown[];
  guardrailsPassed: boolean;
  perPrompt: unknown;
  extra: unknown;
  harness: unknown;
  environment: Record<string, unknown>;
}

export async function insertResult(tx: Queryable, r: NewResultRow): Promise<void> {
  await tx.query(
    `insert into results (job_id, collaboration_id, submission_id, split, hardware_class, metric, samples, guardrails, guardrails_passed, per_prompt, extra, harness, environment)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [r.jobId, r.collabId, r.submissionId, r.split, r.hardwareClass, JSON.stringify(r.metric), r.samples, JSON.stringify(r.guardrails), r.guardrailsPassed,
      JSON.stringify(r.perPrompt), JSON.stringify(r.extra), JSON.stringify(r.harness), JSON.stringify(r.environment)]);
}

export async function resultsOfJobs(db: Queryable, jobIds: number[]): Promise<ResultRow[]> {
  if (!jobIds.length) return [];
  return db.query<ResultRow>('select * from results where job_id = any($1::int[])', [jobIds]);
}

export async function attemptsOfJobs(db: Queryable, jobIds: number[]): Promise<AttemptRow[]> {
  if (!jobIds.length) return [];
  return db.query<AttemptRow>(
    'select a.*, r.name as runner_name from job_attempts a join runners r on r.id = a.runner_id where a.job_id = any($1::int[]) order by a.job_id, a.attempt',
    [jobIds]);
}

export interface SubmissionResultRow {
  split: string;
  hardware_class: string;
  samples: number[];
  guardrails_passed: boolean;
  created_at: Date;
}

/** Results of the submission's scored jobs (succeeded or guardrail_failed), by split, hardware class and job. */
export async function submissionResults(db: Queryable, submissionId: number): Promise<SubmissionResultRow[]> {
  return db.query<SubmissionResultRow>(
    `select r.split, r.hardware_class, r.samples, r.guardrails_passed, r.created_at from results r join jobs j on j.id = r.job_id
     where r.submission_id = $1 and j.state in ('succeeded', 'guardrail_failed') order by r.split, r.hardware_class, r.job_id`,
    [submissionId]);
}
