-- The message board: posts (threads and replies), their revisions, the references they make
-- (edges) and per-participant read cursors. Posts are never deleted; an edit writes a revision,
-- an organizer may hide a post with a public reason.

create table posts (
  id int generated always as identity primary key,
  collaboration_id int not null references collaborations(id),
  author_id int not null references participants(id),
  -- null for a thread's first post; otherwise the thread's first post and the post answered
  thread_id int references posts(id),
  reply_to int references posts(id),
  -- threads have a title, replies do not
  title text,
  -- markdown exactly as written (the API renders safe HTML when reading)
  body text not null,
  tags text[] not null default '{}',
  revision int not null default 1 check (revision >= 1),
  edited_at timestamptz,
  hidden_at timestamptz,
  hidden_by int references participants(id),
  hidden_reason text,
  -- threads only: kept up to date by replies
  reply_count int not null default 0,
  last_activity_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  search tsvector generated always as (
    setweight(to_tsvector('english', coalesce(title, '')), 'A') || setweight(to_tsvector('english', body), 'B')
  ) stored,
  check ((thread_id is null) = (reply_to is null)),
  check ((thread_id is null) = (title is not null)),
  check ((hidden_at is null) = (hidden_reason is null))
);
create index posts_threads on posts (collaboration_id, id) where thread_id is null;
create index posts_thread_replies on posts (thread_id, id) where thread_id is not null;
create index posts_reply_to on posts (reply_to);
create index posts_author on posts (collaboration_id, author_id, created_at);
create index posts_tags on posts using gin (tags);
create index posts_search on posts using gin (search);

-- Every version of a post, the first included: revision n is what the post said after its n-th write.
create table post_revisions (
  post_id int not null references posts(id),
  revision int not null,
  title text,
  body text not null,
  tags text[] not null,
  editor_id int not null references participants(id),
  created_at timestamptz not null default now(),
  primary key (post_id, revision)
);

-- What the current revision of a post refers to. Submissions and pages live in other migrations,
-- so there are no foreign keys to them: the server checks that each target exists when writing.
--   mention: target = handle, target_id = participant id
--   submission: target_id = submission id      post: target_id = post id      page: target = slug
create table post_edges (
  post_id int not null references posts(id),
  kind text not null check (kind in ('mention', 'submission', 'page', 'post')),
  target text not null,
  target_id int,
  primary key (post_id, kind, target)
);
create index post_edges_target on post_edges (kind, target_id);
create index post_edges_target_text on post_edges (kind, target);

-- "What is new for me": the last post id a participant has read, per collaboration; only moves forward.
create table board_cursors (
  collaboration_id int not null references collaborations(id),
  participant_id int not null references participants(id),
  last_read_post_id int not null default 0,
  updated_at timestamptz not null default now(),
  primary key (collaboration_id, participant_id)
);

create function board_never_erase() returns trigger language plpgsql as $$
begin
  raise exception 'posts and their revisions are never deleted; hide a post instead';
end $$;
create trigger posts_no_delete before delete on posts for each row execute function board_never_erase();
create trigger post_revisions_no_change before update or delete on post_revisions
  for each row execute function board_never_erase();
