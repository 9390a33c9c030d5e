-- The knowledge base: markdown pages with full revision history, the references their current
-- revision makes (edges) and a full-text index. Nothing is ever deleted: a revert is a new revision.

-- The search document of a page: the title weighs most, then the slug's words, then the body.
create function kb_page_search(slug text, title text, body text) returns tsvector
  language sql immutable parallel safe as $$
  select setweight(to_tsvector('english', title), 'A')
      || setweight(to_tsvector('simple', replace(slug, '-', ' ')), 'B')
      || setweight(to_tsvector('english', body), 'C')
$$;

create table pages (
  id int generated always as identity primary key,
  collaboration_id int not null references collaborations(id),
  -- immutable: `[[slug]]` links in pages and posts point at it
  slug text not null check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(slug) <= 63),
  -- title and category copy the current revision's, for listing without a join
  title text not null,
  category text not null check (category in ('playbook', 'lever-map', 'dead-ends', 'tools', 'other')),
  current_revision int not null check (current_revision >= 1),
  created_by int not null references participants(id),
  created_at timestamptz not null default now(),
  updated_by int not null references participants(id),
  updated_at timestamptz not null default now(),
  -- kb_page_search(slug, title, body) of the current revision, written with it
  search tsvector not null,
  unique (collaboration_id, slug)
);
create index pages_category on pages (collaboration_id, category, slug);
create index pages_search on pages using gin (search);

-- Every version of a page, the first included: revision n is the page after its n-th write.
create table page_revisions (
  page_id int not null references pages(id),
  number int not null check (number >= 1),
  author_id int not null references participants(id),
  title text not null,
  body text not null,
  category text not null check (category in ('playbook', 'lever-map', 'dead-ends', 'tools', 'other')),
  -- the author's note on what changed ('' when none)
  summary text not null default '',
  -- set when this revision restores an earlier one
  reverted_from int,
  created_at timestamptz not null default now(),
  primary key (page_id, number),
  check (reverted_from is null or (reverted_from >= 1 and reverted_from < number))
);

-- What the current revision of a page refers to. Submissions and posts live in other migrations,
-- so there are no foreign keys to them: the server checks that each target exists when writing.
--   page: target = slug, target_id = page id      submission / post: target = the id as text
create table page_edges (
  page_id int not null references pages(id),
  kind text not null check (kind in ('page', 'submission', 'post')),
  target text not null,
  target_id int not null,
  primary key (page_id, kind, target)
);
create index page_edges_target on page_edges (kind, target_id);

create function kb_never_erase() returns trigger language plpgsql as $$
begin
  raise exception 'knowledge-base pages and revisions are never deleted or rewritten; write a new revision';
end $$;
create trigger pages_no_delete before delete on pages for each row execute function kb_never_erase();
create trigger page_revisions_no_change before update or delete on page_revisions
  for each row execute function kb_never_erase();
