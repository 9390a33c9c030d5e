import type { Queryable } from '../db.ts';

/** What the lineage, frontier and progress views read: submissions with their marks, and pooled results. */
export interface LineageRow {
  id: number;
  title: string;
  author_handle: string;
  levers: string[];
  duplicate_of: number | null;
  created_at: Date;
  parents: number[];
  credits: string[];
  sponsors: string[];
  invalid_by: number | null;
  invalidated_at: Date | null;
  invalid_post_id: number | null;
  withdrawn_at: Date | null;
  withdrawn_reason: string | null;
}

/** Every submission of the collaboration, oldest first, with parents, credits and the sponsors of its jobs. */
export async function lineageRows(db: Queryable, collabId: number): Promise<LineageRow[]> {
  return db.query<LineageRow>(
    `select s.id, s.title, a.handle as author_handle, s.levers, s.duplicate_of, s.created_at,
            s.invalid_by, s.invalidated_at, r.post_id as invalid_post_id, s.withdrawn_at, s.withdrawn_reason,
            coalesce((select array_agg(sp.parent_id order by sp.parent_id) from submission_parents sp where sp.submission_id = s.id), '{}') as parents,
            coalesce((select array_agg(cp.handle order by cp.handle) from submission_credits c join participants cp on cp.id = c.participant_id
                      where c.submission_id = s.id), '{}') as credits,
            coalesce((select array_agg(distinct jp.handle) from jobs j join participants jp on jp.id = j.sponsor_id
                      where j.submission_id = s.id and j.sponsor_id <> s.author_id), '{}') as sponsors
     from submissions s join participants a on a.id = s.author_id left join rulings r on r.id = s.invalid_by
     where s.collaboration_id = $1 order by s.id`,
    [collabId]);
}

export interface ScoredResultRow {
  submission_id: number;
  hardware_class: string;
  samples: number[];
  guardrails: Array<{ name: string; value?: number; passed: boolean }>;
  guardrails_passed: boolean;
  created_at: Date;
}

/**
 * Results of scored jobs (succeeded or guardrail_failed) on a split, in job order; `rankedOnly` leaves out invalid and
 * withdrawn submissions (what the ranking pools), `cutoff` results created after it (a freeze).
 */
export async function scoredResults(db: Queryable, collabId: number, split: string, opts: { rankedOnly: boolean; cutoff?: Date | null }): Promise<ScoredResultRow[]> {
  return db.query<ScoredResultRow>(
    `select r.submission_id, r.hardware_class, r.samples, r.guardrails, r.guardrails_passed, r.created_at
     from results r join jobs j on j.id = r.job_id join submissions s on s.id = r.submission_id
     where r.collaboration_id = $1 and j.collaboration_id = $1 and s.collaboration_id = $1 and r.split = $2 and j.state in ('succeeded', 'guardrail_failed')
       and (not $3 or (s.invalidated_at is null and s.withdrawn_at is null))
       and ($4::timestamptz is null or r.created_at <= $4)
     order by r.job_id`,
    [collabId, split, opts.rankedOnly, opts.cutoff ?? null]);
}

export interface StandingRow {
  id: number;
  invalid_by: number | null;
  invalidated_at: Date | null;
  invalid_post_id: number | null;
  withdrawn_at: Date | null;
  withdrawn_reason: string | null;
}

/** Whether each named submission is valid, invalid (by which ruling and its post) or withdrawn. */
export async function standingRows(db: Queryable, collabId: number, ids: number[]): Promise<StandingRow[]> {
  return db.query<StandingRow>(
    `select s.id, s.invalid_by, s.invalidated_at, r.post_id as invalid_post_id, s.withdrawn_at, s.withdrawn_reason
     from submissions s left join rulings r on r.id = s.invalid_by where s.collaboration_id = $1 and s.id = any($2::int[])`,
    [collabId, ids]);
}

