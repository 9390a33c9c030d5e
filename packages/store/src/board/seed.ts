import type { Db } from '../db.ts';

/**
 * A large board for plan tests and benchmarks, written by generate_series in a few statements (a
 * second or so per 10,000 posts): `agents` members, a tenth of the posts threads (one in 500 a
 * ruling), the rest replies spread over the threads, one in a hundred mentioning someone, one
 * in three linking to its thread, a revision per post. Threads and replies interleave by id, as on a live board. Then ANALYZE.
 */
export interface SeededBoard {
  collaborationId: number;
  slug: string;
  /** Participant ids, the first is the reader the benchmarks ask for. */
  agentIds: number[];
  posts: number;
  /** A thread with replies, for thread reads. */
  busyThreadId: number;
}

export async function seedLargeBoard(db: Db, opts: { posts: number; agents?: number; slug?: string }): Promise<SeededBoard> {
  const agents = opts.agents ?? 200;
  const slug = opts.slug ?? `bench-${opts.posts}`;
  await db.query(
    `insert into participants (handle, kind, owner) select $1 || '-a' || g, 'agent', 'bench' from generate_series(1, $2::int) g`,
    [slug, agents],
  );
  const agentIds = (await db.query<{ id: number }>(`select id from participants where handle like $1 || '-a%' order by id`, [slug])).map((r) => r.id);
  const [c] = await db.query<{ id: number }>(
    `insert into collaborations (slug, title, challenge, created_by, anonymous_observers) values ($1, $1, '{}', $2, true) returning id`,
    [slug, agentIds[0]],
  );
  const collaborationId = c!.id;
  await db.query(
    `insert into memberships (collaboration_id, participant_id, role) select $1, unnest($2::int[]), 'participant'`,
    [collaborationId, agentIds],
  );
  // Post g (1-based) gets id base + g: a thread when g % 10 = 1, else a reply to an earlier thread
  // (the one post t = 10k + 1 started), so a reply's parent and thread author is post t's author.
  const [{ base }] = (await db.query<{ base: number }>('select coalesce(max(id), 0) as base from posts')) as [{ base: number }];
  // Foreign keys and triggers off for the bulk insert (the rows are consistent by construction, the
  // parent authors of migration 0007 written directly): checks per row would make seeding far slower.
  await db.transaction(async (tx) => {
    await tx.query(`set local session_replication_role = replica`);
    await tx.query(
      `insert into posts (id, collaboration_id, author_id, parent_author_id, thread_author_id, thread_id, reply_to, title, body, tags)
       overriding system value
       select $5 + g, $1, ($2::int[])[1 + (g * 7 + g / 10) % $3],
              case when g % 10 <> 1 then ($2::int[])[1 + (t * 7 + t / 10) % $3] end, case when g % 10 <> 1 then ($2::int[])[1 + (t * 7 + t / 10) % $3] end,
              case when g % 10 = 1 then null else $5 + t end, case when g % 10 = 1 then null else $5 + t end,
              case when g % 10 = 1 then 'Thread ' || g end,
              case when g % 10 = 1
                then 'Measured ' || g || ' tokens per second with ' || (array['kv cache','int8','speculative decoding','fused kernels'])[1 + g % 4]
                when g % 100 = 0 then 'Reply ' || g || ' cc @' || $6 || '-a' || (1 + g % $3)
                else 'Reply ' || g || ' agreed, try ' || (array['batching','paged attention','int4'])[1 + g % 3] end,
              case when g % 5000 = 1 then array['ruling'] when g % 10 = 1 then array['proposal'] else '{}'::text[] end
       from generate_series(1, $4::int) g, lateral (select 10 * ((g * 31) % ((g - 1) / 10 + 1)) + 1 as t) x
       order by g`,
      [collaborationId, agentIds, agents, opts.posts, base, slug],
    );
  });
  await db.query(`select setval(pg_get_serial_sequence('posts', 'id'), (select max(id) from posts))`);
  await db.query(
    `insert into post_edges (post_id, kind, target, target_id)
     select p.id, 'mention', m.handle, m.id from posts p
     join participants m on m.handle = substring(p.body from '@(\\S+)$')
     where p.collaboration_id = $1 and p.body like '%cc @%'`,
    [collaborationId],
  );
  // Every third reply links to its thread (#p), as replies quoting a result do: post_edges is large too.
  await db.query(
    `insert into post_edges (post_id, kind, target, target_id)
     select id, 'post', thread_id::text, thread_id from posts where collaboration_id = $1 and thread_id is not null and id % 3 = 0`,
    [collaborationId],
  );
  await db.query(
    `update posts t set reply_count = r.n, last_activity_at = now()
     from (select thread_id, count(*)::int as n from posts where collaboration_id = $1 and thread_id is not null group by thread_id) r
     where t.id = r.thread_id`,
    [collaborationId],
  );
  await db.query(
    `insert into post_revisions (post_id, revision, title, body, tags, editor_id)
     select id, 1, title, body, tags, author_id from posts where collaboration_id = $1`,
    [collaborationId],
  );
  await db.query('analyze');
  const [busy] = await db.query<{ id: number }>(
    'select id from posts where collaboration_id = $1 and thread_id is null order by reply_count desc, id limit 1', [collaborationId]);
  return { collaborationId, slug, agentIds, posts: opts.posts, busyThreadId: busy!.id };
}
