import type { Queryable } from '../db.ts';
import { selectPost } from './posts.ts';
import type { PostRow } from './rows.ts';

/** The groups of "what is new for me", in the order a reader should read them. */
export type NewForMeGroup = 'newThreads' | 'repliesToMe' | 'mentionsOfMe' | 'rulings';

const GROUP_WHERE: Record<NewForMeGroup, string> = {
  newThreads: 'p.thread_id is null',
  repliesToMe: `p.thread_id is not null and exists (select 1 from posts t where t.author_id = $4 and (t.id = p.reply_to or t.id = p.thread_id))`,
  mentionsOfMe: `exists (select 1 from post_edges e where e.post_id = p.id and e.kind = 'mention' and e.target_id = $4)`,
  rulings: `'ruling' = any(p.tags)`,
};

export interface NewForMeWindow {
  collaborationId: number;
  readerId: number;
  /** Posts after this id (the reader's cursor) up to and including upTo. */
  since: number;
  upTo: number;
  limit: number;
}

/** One group: the first `limit` visible posts by others in the window, and how many there are in all. */
export async function newForMeGroup(db: Queryable, group: NewForMeGroup, w: NewForMeWindow): Promise<{ total: number; items: PostRow[] }> {
  const rows = await db.query<PostRow & { total: number }>(
    `${selectPost(', count(*) over () as total')}
     where p.collaboration_id = $1 and p.id > $2 and p.id <= $3 and p.author_id <> $4 and p.hidden_at is null and (${GROUP_WHERE[group]})
     order by p.id limit $5`,
    [w.collaborationId, w.since, w.upTo, w.readerId, w.limit],
  );
  return { total: Number(rows[0]?.total ?? 0), items: rows };
}
