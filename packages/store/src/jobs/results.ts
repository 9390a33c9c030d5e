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

export interface LeaderboardResultRow {
  submission_id: number;
  title: string;
  author_id: number;
  author_handle: string;
  hardware_class: string;
  samples: number[];
  guardrails: Array<{ name: string; passed: boolean }>;
  guardrails_passed: boolean;
  sponsor_id: number | null;
  sponsor_handle: string | null;
  created_at: Date;
}

/**
 * Results of scored jobs (succeeded, or guardrail_failed: shown unranked) of valid (not invalidated, not withdrawn) submissions on one split, in
 * job order; only one hardware class when given, only results up to `cutoff` when given (a frozen board).
 */
export async function leaderboardResults(db: Queryable, collabId: number, split: string, hardwareClass: string | null, cutoff: Date | null = null): Promise<LeaderboardResultRow[]> {
  return db.query<LeaderboardResultRow>(
    `select r.submission_id, s.title, s.author_id, pa.handle as author_handle, r.hardware_class, r.samples, r.guardrails, r.guardrails_passed,
            j.sponsor_id, ps.handle as sponsor_handle, r.created_at
     from results r join jobs j on j.id = r.job_id join submissions s on s.id = r.submission_id
     join participants pa on pa.id = s.author_id left join participants ps on ps.id = j.sponsor_id
     where r.collaboration_id = $1 and r.split = $2 and j.state in ('succeeded', 'guardrail_failed') and s.invalidated_at is null and s.withdrawn_at is null
       and ($3::text is null or r.hardware_class = $3) and ($4::timestamptz is null or r.created_at <= $4)
     order by r.job_id`,
    [collabId, split, hardwareClass, cutoff]);
}

export interface SubmissionResultRow {
  split: string;
  hardware_class: string;
  samples: number[];
  guardrails_passed: boolean;
}

/** Results of the submission's scored jobs (succeeded or guardrail_failed), by split, hardware class and job. */
export async function submissionResults(db: Queryable, submissionId: number): Promise<SubmissionResultRow[]> {
  return db.query<SubmissionResultRow>(
    `select r.split, r.hardware_class, r.samples, r.guardrails_passed from results r join jobs j on j.id = r.job_id
     where r.submission_id = $1 and j.state in ('succeeded', 'guardrail_failed') order by r.split, r.hardware_class, r.job_id`,
    [submissionId]);
}
