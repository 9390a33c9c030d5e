import type { Queryable } from '../db.ts';

/**
 * What the interaction graph and its measures read (core/analytics): one collaboration's public
 * record as flat rows, handles in place of ids, oldest first. Flags are private; the caller
 * decides whether to read them (organizers only).
 */
export interface MemberRow { handle: string; role: string; joined_at: Date }
export interface PostRow {
  id: number; author: string; thread_id: number | null; reply_to: number | null; reply_to_author: string | null;
  tags: string[]; hidden: boolean; created_at: Date; mentions: string[]; submissions: number[];
}
export interface SubmissionRow {
  id: number; author: string; title: string; parents: number[]; credits: string[]; invalid: boolean; withdrawn: boolean; created_at: Date;
}
export interface JobRow {
  id: number; submission_id: number; requested_by: string; sponsor: string | null; author: string; split: string; state: string; created_at: Date; finished_at: Date | null;
}
export interface ResultRow { job_id: number; submission_id: number; split: string; hardware_class: string; samples: number[]; guardrails_passed: boolean; created_at: Date }
export interface FlagEdgeRow { id: number; reporter: string; target_author: string; category: string; state: string; ruling_id: number | null; created_at: Date }
export interface RulingRow { id: number; organizer: string; kind: string; post_id: number; created_at: Date; ruled: string[] }
export interface PageRevisionRow { slug: string; number: number; author: string; created_at: Date }

export interface InteractionRows {
  members: MemberRow[];
  posts: PostRow[];
  submissions: SubmissionRow[];
  jobs: JobRow[];
  results: ResultRow[];
  flags: FlagEdgeRow[];
  rulings: RulingRow[];
  pageRevisions: PageRevisionRow[];
}

export async function interactionRows(db: Queryable, collabId: number, opts: { flags: boolean; publicSplits: string[] }): Promise<InteractionRows> {
  const [members, postRows, subRows, jobs, results, flags, rulings, pageRevisions, postEdges, parents, credits] = await Promise.all([
    db.query<MemberRow>(
      `select p.handle, m.role, m.joined_at from memberships m join participants p on p.id = m.participant_id
       where m.collaboration_id = $1 order by m.joined_at, p.id`, [collabId]),
    db.query<Omit<PostRow, 'mentions' | 'submissions'>>(
      `select po.id, a.handle as author, po.thread_id, po.reply_to, ra.handle as reply_to_author, po.tags, po.hidden_at is not null as hidden, po.created_at
       from posts po join participants a on a.id = po.author_id
       left join participants ra on ra.id = po.parent_author_id
       where po.collaboration_id = $1 order by po.id`, [collabId]),
    db.query<Omit<SubmissionRow, 'parents' | 'credits'>>(
      `select s.id, a.handle as author, s.title, s.invalidated_at is not null as invalid, s.withdrawn_at is not null as withdrawn, s.created_at
       from submissions s join participants a on a.id = s.author_id where s.collaboration_id = $1 order by s.id`, [collabId]),
    db.query<JobRow>(
      `select j.id, j.submission_id, rq.handle as requested_by, sp.handle as sponsor, au.handle as author, j.split, j.state, j.created_at, j.finished_at
       from jobs j join submissions s on s.id = j.submission_id join participants au on au.id = s.author_id
       join participants rq on rq.id = j.requested_by left join participants sp on sp.id = j.sponsor_id
       where j.collaboration_id = $1 and j.visibility = 'public' order by j.id`, [collabId]),
    db.query<ResultRow>(
      `select r.job_id, r.submission_id, r.split, r.hardware_class, r.samples, r.guardrails_passed, r.created_at
       from results r join jobs j on j.id = r.job_id
       where r.collaboration_id = $1 and r.split = any($2::text[]) and j.state in ('succeeded', 'guardrail_failed') order by r.job_id`, [collabId, opts.publicSplits]),
    opts.flags
      ? db.query<FlagEdgeRow>(
        `select f.id, rp.handle as reporter, coalesce(sa.handle, pa.handle) as target_author, f.category, f.state, f.ruling_id, f.created_at
         from flags f join participants rp on rp.id = f.reporter_id
         left join submissions s on s.id = f.submission_id left join participants sa on sa.id = s.author_id
         left join posts p on p.id = f.post_id left join participants pa on pa.id = p.author_id
         where f.collaboration_id = $1 order by f.id`, [collabId])
      : Promise.resolve([]),
    // Who a ruling reached: the authors of the submissions it invalidated or reinstated, and of what its flags pointed at.
    db.query<RulingRow>(
      `select r.id, o.handle as organizer, r.kind, r.post_id, r.created_at,
              coalesce((select array_agg(distinct h) from (
                 select sa.handle as h from ruling_effects e join submissions s on s.id = e.submission_id join participants sa on sa.id = s.author_id where e.ruling_id = r.id
                 union select coalesce(fa.handle, pa.handle) from flags f
                   left join submissions fs on fs.id = f.submission_id left join participants fa on fa.id = fs.author_id
                   left join posts fp on fp.id = f.post_id left join participants pa on pa.id = fp.author_id
                 where f.ruling_id = r.id) x where h is not null), '{}') as ruled
       from rulings r join participants o on o.id = r.organizer_id where r.collaboration_id = $1 order by r.id`, [collabId]),
    db.query<PageRevisionRow>(
      `select pg.slug, pr.number, a.handle as author, pr.created_at from page_revisions pr join pages pg on pg.id = pr.page_id
       join participants a on a.id = pr.author_id where pg.collaboration_id = $1 order by pr.created_at, pg.slug, pr.number`, [collabId]),
    // Flat link rows, grouped below: one pass each instead of a subquery per post or submission.
    db.query<{ post_id: number; kind: string; target: string; target_id: number | null }>(
      `select e.post_id, e.kind, e.target, e.target_id from post_edges e join posts p on p.id = e.post_id
       where p.collaboration_id = $1 and e.kind in ('mention', 'submission') order by e.post_id, e.kind, e.target`, [collabId]),
    db.query<{ submission_id: number; parent_id: number }>(
      `select sp.submission_id, sp.parent_id from submission_parents sp join submissions s on s.id = sp.submission_id
       where s.collaboration_id = $1 order by sp.submission_id, sp.parent_id`, [collabId]),
    db.query<{ submission_id: number; handle: string }>(
      `select c.submission_id, p.handle from submission_credits c join submissions s on s.id = c.submission_id join participants p on p.id = c.participant_id
       where s.collaboration_id = $1 order by c.submission_id, p.handle`, [collabId]),
  ]);
  const group = <T>(rows: T[], key: (r: T) => number) => {
    const m = new Map<number, T[]>();
    for (const r of rows) {
      const list = m.get(key(r));
      if (list) list.push(r);
      else m.set(key(r), [r]);
    }
    return m;
  };
  const edges = group(postEdges, (e) => e.post_id);
  const parentsOf = group(parents, (p) => p.submission_id);
  const creditsOf = group(credits, (c) => c.submission_id);
  const posts = postRows.map((p) => {
    const e = edges.get(p.id) ?? [];
    return { ...p, mentions: e.filter((x) => x.kind === 'mention').map((x) => x.target), submissions: e.filter((x) => x.kind === 'submission' && x.target_id !== null).map((x) => x.target_id!) };
  });
  const submissions = subRows.map((s) => ({ ...s, parents: (parentsOf.get(s.id) ?? []).map((p) => p.parent_id), credits: (creditsOf.get(s.id) ?? []).map((c) => c.handle) }));
  return { members, posts, submissions, jobs, results, flags, rulings, pageRevisions };
}
