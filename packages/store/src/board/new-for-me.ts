import type { Queryable } from '../db.ts';
import { selectPost } from './posts.ts';
import type { PostRow } from './rows.ts';

/** The groups of "what is new for me", in the order a reader should read them. */
export const NEW_FOR_ME_GROUPS = ['newThreads', 'repliesToMe', 'mentionsOfMe', 'rulings'] as const;
export type NewForMeGroup = (typeof NEW_FOR_ME_GROUPS)[number];

/**
 * Totals are counted up to this many: past it a group's total says "at least this many" (`capped`).
 * Counting is what made "new for me" grow with history for a reader who has read nothing.
 */
export const NEW_FOR_ME_COUNT_CAP = 1000;

/**
 * Each group as a predicate on `p` that an index answers within the window (w.since, w.up_to]
 * (migration 0007): $1 collaboration, $2 reader.
 */
const GROUP_WHERE: Record<NewForMeGroup, string> = {
  newThreads: 'p.thread_id is null',
  // Replies to one of my posts, and replies in threads I started.
  repliesToMe: 'p.thread_id is not null and (p.parent_author_id = $2 or p.thread_author_id = $2)',
  mentionsOfMe: `p.id in (select e.post_id from post_edges e
                          where e.kind = 'mention' and e.target_id = $2 and e.post_id > w.since and e.post_id <= w.up_to)`,
  rulings: `p.tags @> '{ruling}'`,
};

const inWindow = (group: NewForMeGroup) => `from posts p
  where p.collaboration_id = $1 and p.id > w.since and p.id <= w.up_to and p.author_id <> $2 and p.hidden_at is null
    and (${GROUP_WHERE[group]})`;

/** One statement for the reader's window and every group's first ids and (bounded) total. */
const NEW_FOR_ME_SQL = `
  with c as (
    select coalesce((select last_read_post_id from board_cursors where collaboration_id = $1 and participant_id = $2), 0) as since
  ), w as (
    select c.since, greatest(c.since, coalesce((select max(id) from posts where collaboration_id = $1), 0)) as up_to from c
  )
  select w.since, w.up_to, ${NEW_FOR_ME_GROUPS.map((g) => `
    array(select p.id ${inWindow(g)} order by p.id limit $3) as "${g}_ids",
    (select count(*) from (select 1 ${inWindow(g)} limit $4) n) as "${g}_total"`).join(',')}
  from w`;

export interface NewForMeIds {
  since: number;
  upTo: number;
  groups: Record<NewForMeGroup, { ids: number[]; total: number; capped: boolean }>;
}

/** The reader's window (their cursor up to the newest post) and, per group, the first `limit` ids of posts by others. */
export async function newForMeIds(db: Queryable, collaborationId: number, readerId: number, limit: number): Promise<NewForMeIds> {
  const [row] = await db.query<Record<string, number | number[]>>(NEW_FOR_ME_SQL, [collaborationId, readerId, limit, NEW_FOR_ME_COUNT_CAP + 1]);
  const groups = Object.fromEntries(
    NEW_FOR_ME_GROUPS.map((g) => {
      const total = Number(row![`${g}_total`]);
      return [g, { ids: (row![`${g}_ids`] as number[]).map(Number), total: Math.min(total, NEW_FOR_ME_COUNT_CAP), capped: total > NEW_FOR_ME_COUNT_CAP }];
    }),
  ) as NewForMeIds['groups'];
  return { since: Number(row!.since), upTo: Number(row!.up_to), groups };
}

/** Posts by id, in id order (the rows behind newForMeIds, read once for every group). */
export async function findPostsByIds(db: Queryable, collaborationId: number, ids: number[]): Promise<PostRow[]> {
  if (!ids.length) return [];
  return db.query<PostRow>(`${selectPost()} where p.collaboration_id = $1 and p.id = any($2::int[]) order by p.id`, [collaborationId, ids]);
}
