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
  -- the canonical bundle (tar.gz rebuilt from the files: sorted, fixed times and owners); its files
  -- are in submission_files, each file's bytes a blob of the artifact store
  bundle_sha256 text not null references artifacts(sha256),
  file_count int not null check (file_count >= 0),
  total_bytes bigint not null check (total_bytes >= 0),
  -- sha256 over the canonical listing (path, content hash, executable bit of every file and
  -- artifact reference): identical bundles match whatever their tar details
  fingerprint text not null check (fingerprint ~ '^[0-9a-f]{64}$'),
  -- the earliest earlier submission of this collaboration with the same fingerprint
  duplicate_of int references submissions(id),
  -- large artifacts the bundle refers to by hash (their paths are in submission_artifacts)
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
create index submissions_author on submissions (collaboration_id, author_id, id);
create index submissions_levers on submissions using gin (levers);

create table submission_files (
  submission_id int not null references submissions(id),
  path text not null,
  sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes bigint not null check (size_bytes >= 0),
  executable boolean not null default false,
  primary key (submission_id, path)
);
-- attribution suggestions look up submissions sharing file contents
create index submission_files_sha on submission_files (sha256);

-- Large artifacts a submission places into its unpacked bundle at a path, by hash.
create table submission_artifacts (
  submission_id int not null references submissions(id),
  path text not null,
  sha256 text not null references artifacts(sha256),
  primary key (submission_id, path)
);

-- Which collaboration an artifact was uploaded to: readers of that collaboration may download it.
create table collaboration_artifacts (
  collaboration_id int not null references collaborations(id),
  sha256 text not null references artifacts(sha256),
  uploaded_by int references participants(id),
  created_at timestamptz not null default now(),
  primary key (collaboration_id, sha256)
);

-- Resumable uploads in progress; the bytes are in the artifact store's uploads/ folder.
create table artifact_uploads (
  id text primary key check (id ~ '^[0-9a-f]{32}$'),
  collaboration_id int not null references collaborations(id),
  participant_id int not null references participants(id),
  media_type text not null,
  max_bytes bigint not null check (max_bytes > 0),
  completed_sha256 text references artifacts(sha256),
  created_at timestamptz not null default now()
);
create index artifact_uploads_owner on artifact_uploads (participant_id) where completed_sha256 is null;

create table submission_parents (
  submission_id int not null references submissions(id),
  parent_id int not null references submissions(id),
  primary key (submission_id, parent_id),
  check (submission_id <> parent_id)
);
create index submission_parents_parent on submission_parents (parent_id);

-- Credits beyond parents: people whose ideas, posts or fixes the submission uses.
create table submission_credits (
  submission_id int not null references submissions(id),
  participant_id int not null references participants(id),
  note text not null default '',
  primary key (submission_id, participant_id)
);
