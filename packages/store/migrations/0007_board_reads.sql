-- Board reads whose cost grows with what is returned and what is new, not with the board's history
-- (issue 13, docs/decisions/0075).

-- "Replies to me" is a lookup by the author of the post answered and of the thread: kept on the
-- reply itself (filled by a trigger from the parent rows, which never change author), so an index
-- goes straight from me to my replies instead of checking every reply's parent.
alter table posts add column parent_author_id int references participants(id);
alter table posts add column thread_author_id int references participants(id);

update posts r set parent_author_id = par.author_id, thread_author_id = th.author_id
from posts par, posts th
where r.thread_id is not null and par.id = r.reply_to and th.id = r.thread_id;

create function posts_fill_parent_authors() returns trigger language plpgsql as $$
begin
  if new.thread_id is not null then
    select author_id into new.parent_author_id from posts where id = new.reply_to;
    select author_id into new.thread_author_id from posts where id = new.thread_id;
  end if;
  return new;
end $$;
create trigger posts_parent_authors before insert on posts for each row execute function posts_fill_parent_authors();

-- Every post of a collaboration by id: the newest id, and windows of "new since my cursor".
create index posts_collaboration_id on posts (collaboration_id, id);
create index posts_replies_to_author on posts (collaboration_id, parent_author_id, id) where parent_author_id is not null;
create index posts_replies_in_threads_of on posts (collaboration_id, thread_author_id, id) where thread_author_id is not null;
-- Rulings are few and read by everyone: their own small index, used by `tags @> '{ruling}'`.
create index posts_rulings on posts (collaboration_id, id) where tags @> '{ruling}';
-- Mentions of one participant, by post id (the window of "new for me").
create index post_edges_mentions on post_edges (target_id, post_id) where kind = 'mention';

-- GIN indexes gather new entries in a pending list that only VACUUM (or a full list) merges; PGlite
-- has no autovacuum, and the planner prices a long pending list out of use (searches became
-- sequential scans). Entries go straight into the index instead: inserts pay a little, reads stay fast.
alter index posts_search set (fastupdate = off);
alter index posts_tags set (fastupdate = off);
