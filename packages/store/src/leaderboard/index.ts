import type { Queryable } from '../db.ts';
import type { BoardResultRow } from './rows.ts';

export type { BoardResultRow } from './rows.ts';

/**
 * The scored results (succeeded, or guardrail_failed: shown unranked) of a split (optionally one hardware class, or some fingerprints), of
 * submissions neither invalidated nor withdrawn, up to `cutoff` (a leaderboard freeze), oldest job first.
 */
export async function boardResults(db: Queryable, q: { collabId: number; split: string; hardware?: string | null; fingerprints?: string[]; cutoff?: Date | null }): Promise<BoardResultRow[]> {
  return db.query<BoardResultRow>(
    `select r.job_id, r.submission_id, s.fingerprint, s.title, s.author_id, pa.handle as author_handle, r.hardware_class, r.samples,
            r.extra->'interleaved_baseline'->'samples' as baseline_samples, r.guardrails, r.guardrails_passed,
            j.sponsor_id, ps.handle as sponsor_handle, r.created_at
     from results r join jobs j on j.id = r.job_id join submissions s on s.id = r.submission_id
     join participants pa on pa.id = s.author_id left join participants ps on ps.id = j.sponsor_id
     where r.collaboration_id = $1 and j.collaboration_id = $1 and s.collaboration_id = $1 and r.split = $2 and j.state in ('succeeded', 'guardrail_failed') and s.invalidated_at is null and s.withdrawn_at is null
       and ($3::text is null or r.hardware_class = $3)
       and ($4::text[] is null or s.fingerprint = any($4::text[]))
       and ($5::timestamptz is null or r.created_at <= $5)
     order by r.job_id`,
    [q.collabId, q.split, q.hardware ?? null, q.fingerprints ?? null, q.cutoff ?? null]);
}

/** The fingerprint of a submission of this collaboration; undefined when there is none. */
export async function submissionFingerprint(db: Queryable, collabId: number, submissionId: number): Promise<{ id: number; fingerprint: string; invalidated: boolean } | undefined> {
  const [row] = await db.query<{ id: number; fingerprint: string; invalidated: boolean }>(
    'select id, fingerprint, (invalidated_at is not null or withdrawn_at is not null) as invalidated from submissions where id = $1 and collaboration_id = $2', [submissionId, collabId]);
  return row;
}
