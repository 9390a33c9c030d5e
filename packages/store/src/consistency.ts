import type { Queryable } from './db.ts';

/**
 * What must hold in any committed state of the database, however the writer died: each check is a
 * query that returns the offending rows' description, none when all is well. The crash tests run it
 * after a kill -9 and a restart, the backup test after a restore (decision 0160).
 */
const CHECKS: Array<{ name: string; sql: string }> = [
  {
    name: 'event ids have a gap',
    sql: `select 'events: ' || count(*) || ' rows for ids ' || min(id) || '..' || max(id) as problem
          from events having count(*) > 0 and count(*) <> max(id) - min(id) + 1`,
  },
  {
    name: 'post without its revisions',
    sql: `select '#p' || p.id || ' at revision ' || p.revision || ' has ' || count(r.revision) || ' revision rows' as problem
          from posts p left join post_revisions r on r.post_id = p.id
          group by p.id having count(r.revision) <> p.revision or max(r.revision) <> p.revision`,
  },
  {
    name: 'post revision differs from the post',
    sql: `select '#p' || p.id || ': current text differs from revision ' || p.revision as problem
          from posts p join post_revisions r on r.post_id = p.id and r.revision = p.revision
          where r.body <> p.body or r.title is distinct from p.title or r.tags <> p.tags`,
  },
  {
    name: 'thread reply count off',
    sql: `select '#p' || t.id || ' counts ' || t.reply_count || ' replies, has ' || count(r.id) as problem
          from posts t left join posts r on r.thread_id = t.id
          where t.thread_id is null group by t.id having count(r.id) <> t.reply_count`,
  },
  {
    name: 'page without its revisions',
    sql: `select '[[' || p.slug || ']] at revision ' || p.current_revision || ' has ' || count(r.number) || ' revision rows' as problem
          from pages p left join page_revisions r on r.page_id = p.id
          group by p.id having count(r.number) <> p.current_revision or max(r.number) <> p.current_revision`,
  },
  {
    name: 'submission without files',
    sql: `select '#s' || s.id || ' has no files' as problem from submissions s
          where not exists (select 1 from submission_files f where f.submission_id = s.id)`,
  },
  {
    name: 'change without its event',
    sql: `select '#p' || p.id || ' has no post.created event' as problem from posts p
          where not exists (select 1 from events e where e.type = 'post.created' and e.subject = '#p' || p.id)
          union all
          select '[[' || p.slug || ']] has ' || count(e.id) || ' page events for ' || p.current_revision || ' revisions' from pages p
          left join events e on e.collaboration_id = p.collaboration_id and e.subject = '[[' || p.slug || ']]'
            and e.type in ('page.created', 'page.edited', 'page.reverted')
          group by p.id having count(e.id) <> p.current_revision
          union all
          select '#s' || s.id || ' has no submission.created event' from submissions s
          where not exists (select 1 from events e where e.type = 'submission.created' and e.subject = '#s' || s.id)`,
  },
  {
    name: 'job scored more or less than once',
    sql: `select 'job ' || j.id || ' (' || j.state || ') has ' || (select count(*) from results r where r.job_id = j.id) || ' results and '
            || (select count(*) from events e where e.subject = '#j' || j.id and e.type in ('job.succeeded', 'job.guardrail_failed')) || ' scored events' as problem
          from jobs j
          where (j.state in ('succeeded', 'guardrail_failed')) <> exists (select 1 from results r where r.job_id = j.id)
             or (select count(*) from events e where e.subject = '#j' || j.id and e.type in ('job.succeeded', 'job.guardrail_failed'))
                <> (case when j.state in ('succeeded', 'guardrail_failed') then 1 else 0 end)`,
  },
];

/** Every broken invariant, as one line each ("name: what"); empty when the database is consistent. */
export async function consistencyProblems(db: Queryable): Promise<string[]> {
  const problems: string[] = [];
  for (const c of CHECKS) for (const r of await db.query<{ problem: string }>(c.sql)) problems.push(`${c.name}: ${r.problem}`);
  return problems;
}

/** The sha256 of every blob the database refers to (bundles, files, artifacts): each must be in the blob store. */
export async function referencedBlobs(db: Queryable): Promise<string[]> {
  const rows = await db.query<{ sha256: string }>('select sha256 from artifacts union select sha256 from submission_files order by sha256');
  return rows.map((r) => r.sha256);
}
