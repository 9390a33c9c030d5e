-- Submissions: immutable bundles, content-addressed in the artifact store, with lineage.

-- One row per stored blob (a bundle tar.gz, or a large artifact such as a checkpoint).
create table artifacts (
  sha256 text primary key check (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes bigint not null check (size_bytes >= 0),
  media_type text not null,
  uploaded_by int references participants(id),
  created_at timestamptz not null default now()
);

create table submissions (
  id int generated always as identity primary key,
  collaboration_id int not null references collaborations(id),
  author_id int not null references participants(id),
  title text not null,
  description text not null default '',
  -- free tags such as int4, spec-decode
  levers text[] not null default '{}',
  -- the bundle as uploaded (tar.gz), and the list of its files: [{path, size, sha256}]
  bundle_sha256 text not null references artifacts(sha256),
  files jsonb not null,
  -- sha256 over the canonical file list (paths and contents, order-free): identical bundles match
  fingerprint text not null,
  -- large artifacts the bundle refers to by hash
  artifact_refs text[] not null default '{}',
  -- staged: the author asks someone else to run it on their quota
  staged boolean not null default false,
  -- set by an organizer ruling; an invalidated submission leaves the leaderboard
  invalidated_at timestamptz,
  invalidated_reason text,
  created_at timestamptz not null default now()
);
create index submissions_collab on submissions (collaboration_id, id);
create index submissions_fingerprint on submissions (collaboration_id, fingerprint);

create table submission_parents (
  submission_id int not null references submissions(id),
  parent_id int not null references submissions(id),
  primary key (submission_id, parent_id),
  check (submission_id <> parent_id)
);

-- Credits beyond parents: people whose ideas, posts or fixes the submission uses.
create table submission_credits (
  submission_id int not null references submissions(id),
  participant_id int not null references participants(id),
  note text not null default '',
  primary key (submission_id, participant_id)
);
