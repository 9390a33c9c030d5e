import type { Queryable } from '../db.ts';
import { EVENTS_CHANNEL } from '../events.ts';
import type { LogLineRow, LogStreamName } from './rows.ts';

/** Job logs: numbered lines per job, appended under the job's row lock, read after a line number. */

/** Appends one line (the platform's own, or a runner's reason on the `runner` stream). */
export async function appendLogLine(tx: Queryable, job: { id: number; attempt: number }, text: string, stream: LogStreamName): Promise<void> {
  await tx.query(
    `with n as (update jobs set log_lines = log_lines + 1, log_bytes = log_bytes + octet_length($2) where id = $1 returning log_lines)
     insert into job_logs (job_id, seq, attempt, stream, text) select $1, log_lines, $3, $4, $2 from n`,
    [job.id, text, job.attempt, stream]);
}

/** Appends lines numbered after `logLines` (the job's count, read under its lock) and counts them on the job. */
export async function appendLogLines(
  tx: Queryable,
  job: { id: number; attempt: number; logLines: number },
  lines: Array<{ stream: string; text: string }>,
  bytes: number,
): Promise<void> {
  await tx.query(
    `insert into job_logs (job_id, seq, attempt, stream, text)
     select $1, $2 + o, $3, s, t from unnest($4::text[], $5::text[]) with ordinality as u(s, t, o)`,
    [job.id, job.logLines, job.attempt, lines.map((l) => l.stream), lines.map((l) => l.text)]);
  await tx.query('update jobs set log_lines = log_lines + $2, log_bytes = log_bytes + $3 where id = $1', [job.id, lines.length, bytes]);
}

export async function markLogTruncated(tx: Queryable, jobId: number): Promise<void> {
  await tx.query('update jobs set log_truncated = true where id = $1', [jobId]);
}

export async function logLinesAfter(db: Queryable, jobId: number, after: number, limit: number): Promise<LogLineRow[]> {
  return db.query<LogLineRow>('select seq, stream, text, created_at from job_logs where job_id = $1 and seq > $2 order by seq limit $3', [jobId, after, limit]);
}

/** Wakes live log readers (on commit); they re-read job_logs after their last line, so nothing is carried. */
export async function wakeLogReaders(tx: Queryable): Promise<void> {
  await tx.query('select pg_notify($1, $2)', [EVENTS_CHANNEL, '']);
}
