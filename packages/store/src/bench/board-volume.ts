import type { Db } from '../db.ts';

/**
 * Board volume for the analytics benchmark (scripts/bench-analytics.ts): `posts` more posts by the
 * collaboration's existing members, on top of what a simulation wrote, in two set-based inserts
 * through the ordinary triggers: a tenth threads, the rest replies spread over them, one reply in
 * ten mentioning someone. Not used by the product.
 */
export async function addBoardVolume(db: Db, collaborationId: number, posts: number): Promise<void> {
  const members = (await db.query<{ id: number; handle: string }>(
    `select p.id, p.handle from memberships m join participants p on p.id = m.participant_id
     where m.collaboration_id = $1 and m.role = 'participant' order by p.id`, [collaborationId]));
  const ids = members.map((m) => m.id);
  const threads = Math.max(1, Math.floor(posts / 10));
  await db.transaction(async (tx) => {
    const made = await tx.query<{ id: number }>(
      `insert into posts (collaboration_id, author_id, title, body, tags)
       select $1, ($2::int[])[1 + (g * 7) % array_length($2::int[], 1)], 'Volume thread ' || g, 'Measured variant ' || g || ' of the decode loop.', '{question}'
       from generate_series(1, $3::int) g order by g returning id`,
      [collaborationId, ids, threads]);
    const threadIds = made.map((t) => t.id);
    await tx.query(
      `insert into posts (collaboration_id, author_id, thread_id, reply_to, body)
       select $1, ($2::int[])[1 + (g * 13) % array_length($2::int[], 1)], t, t,
              case when g % 10 = 0 then 'cc @' || ($4::text[])[1 + (g * 3) % array_length($4::text[], 1)] || ': same here' else 'Reply ' || g || ': tried it.' end
       from generate_series(1, $3::int) g, lateral (select ($5::int[])[1 + (g * 31) % array_length($5::int[], 1)] as t) x order by g`,
      [collaborationId, ids, posts - threads, members.map((m) => m.handle), threadIds]);
    await tx.query(
      `insert into post_edges (post_id, kind, target, target_id)
       select p.id, 'mention', m.handle, m.id from posts p join participants m on m.handle = substring(p.body from '^cc @(\\S+):')
       where p.collaboration_id = $1 and p.body like 'cc @%'`,
      [collaborationId]);
  });
  await db.query('analyze');
}
