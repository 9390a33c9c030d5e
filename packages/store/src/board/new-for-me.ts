import type { Queryable } from '../db.ts';
import { selectPost } from './posts.ts';
import type { PostRow } from './rows.ts';

/** The groups of "what is new for me", in the order a reader should read them. */
export const NEW_FOR_ME_GROUPS = ['newThreads', 'repliesToMe', 'mentionsOfMe', 'rulings'] as const;
export type NewForMeGroup = (typeof NEW_FOR_ME_GROUPS)[number];

/**
 * Totals are counted up to this many: past it a group's total says "at least this many" (`capped`).
 * Counting is what made "new for me" grow with history for a reader who has read nothing; at 100
 * a group's count visits at most 101 index entries whatever the history (decision 0170: at 1,000
 * it visited 1,001 rows per group and the read was 2.8x slower at 100,000 posts than at 1,000).
 */
export const NEW_FOR_ME_COUNT_CAP = 100;

/** Where a group's posts come from and what they must satisfy, $1 collaboration, $2 reader. */
interface Source {
  /** Rows in the window (w.since, w.up_to], walked in id order by an index (migrations 0002, 0007). */
  from: string;
  where: string;
  /** The post id, in the order of the index walked (so `limit` stops the walk early). */
  key: string;
}

const visible = 'p.collaboration_id = $1 and p.author_id <> $2 and p.hidden_at is null';
const posts = (where: string): Source => ({ from: 'posts p', key: 'p.id', where: `${where} and p.id > w.since and p.id <= w.up_to and ${visible}` });

/**
 * Each group as one or more sources whose union it is. Two sources rather than one `or`: each
 * walks its own index in id order and stops at the limit, where a bitmap `or` reads and sorts
 * every match (all the replies to a prolific author).
 */
const GROUPS: Record<NewForMeGroup, Source[]> = {
  newThreads: [posts('p.thread_id is null')],
  // Replies to one of my posts, and replies in threads I started.
  repliesToMe: [posts('p.thread_id is not null and p.parent_author_id = $2'), posts('p.thread_id is not null and p.thread_author_id = $2')],
  // Walked from the edges (post_edges_mentions, in post id order), each checked against its post:
  // filtering posts by "has an edge" walked every post of the window instead.
  mentionsOfMe: [{
    from: 'post_edges e join posts p on p.id = e.post_id', key: 'e.post_id',
    where: `e.kind = 'mention' and e.target_id = $2 and e.post_id > w.since and e.post_id <= w.up_to and ${visible}`,
  }],
  rulings: [posts(`p.tags @> '{ruling}'`)],
};

/** The first `limit` ids of the union of a group's sources, each source stopping at `limit`. */
const firstIds = (g: NewForMeGroup, limit: string) =>
  GROUPS[g].map((s) => `(select ${s.key} as id from ${s.from} where ${s.where} order by ${s.key} limit ${limit})`).join(' union ');

/**
 * One statement for the reader's window and every group's first ids and (bounded) total. The
 * window is `materialized`: inlined, its two lookups were copied into each of the eight subqueries
 * and planning took longer than running the statement.
 */
const NEW_FOR_ME_SQL = `
  with w as materialized (
    select c.since, greatest(c.since, coalesce((select max(id) from posts where collaboration_id = $1), 0)) as up_to
    from (select coalesce((select last_read_post_id from board_cursors where collaboration_id = $1 and participant_id = $2), 0) as since) c
  )
  select w.since, w.up_to, ${NEW_FOR_ME_GROUPS.map((g) => `
    array(select id from (${firstIds(g, '$3')}) u order by id limit $3) as "${g}_ids",
    (select count(*) from (${firstIds(g, '$4')}) n) as "${g}_total"`).join(',')}
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
