-- Jobs, quota, runners, leases, logs and results (issue 4).

-- Runners are not participants: they hold a token (`agora_runner_<id>_<secret>`, stored hashed).
create table runners (
  id int generated always as identity primary key,
  name text not null,
  token_hash text not null,
  labels text[] not null default '{}',
  -- the collaborations it may serve; null: all of them (only a server admin may create such a runner)
  collaboration_ids int[],
  -- the environment fingerprint of its last heartbeat
  environment jsonb,
  created_by int not null references participants(id),
  created_at timestamptz not null default now(),
  last_seen_at timestamptz,
  revoked_at timestamptz
);

create table jobs (
  id int generated always as identity primary key,
  collaboration_id int not null references collaborations(id),
  submission_id int not null references submissions(id),
  split text not null,
  visibility text not null check (visibility in ('public', 'private')),
  repeats int not null check (repeats between 1 and 100),
  -- runner labels the job needs (the challenge's hardware when it was queued)
  hardware text[] not null,
  state text not null default 'queued'
    check (state in ('queued', 'running', 'succeeded', 'failed', 'errored', 'timed_out', 'cancelled')),
  -- why it is in its state, in words a participant can act on
  reason text,
  -- set when the platform noticed it past a deadline in its state
  overdue_at timestamptz,
  -- credit: the submission's author, the participant whose quota pays (null: uncharged), who asked
  originator_id int not null references participants(id),
  sponsor_id int references participants(id),
  requested_by int not null references participants(id),
  rerun_of int references jobs(id),
  -- attempts started so far; an errored attempt or a lost lease re-queues while attempt < max_attempts
  attempt int not null default 0 check (attempt >= 0),
  max_attempts int not null default 3 check (max_attempts >= 1),
  cancel_requested boolean not null default false,
  -- the current lease (running jobs only): the runner and a hash of the lease token
  runner_id int references runners(id),
  lease_token_hash text,
  lease_expires_at timestamptz,
  offline boolean not null default false,
  log_lines int not null default 0,
  log_bytes int not null default 0,
  log_truncated boolean not null default false,
  queued_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  check ((state = 'running') = (lease_token_hash is not null))
);
create index jobs_collab on jobs (collaboration_id, id);
create index jobs_submission on jobs (submission_id, id);
create index jobs_queued on jobs (queued_at, id) where state = 'queued';
create index jobs_running on jobs (lease_expires_at) where state = 'running';

-- One charge per charged job. Used quota = live charges in the last 24 h; a refund marks, never deletes.
create table quota_charges (
  id int generated always as identity primary key,
  collaboration_id int not null references collaborations(id),
  participant_id int not null references participants(id),
  job_id int not null unique references jobs(id),
  charged_at timestamptz not null default now(),
  refunded_at timestamptz,
  refund_reason text
);
create index quota_charges_window on quota_charges (collaboration_id, participant_id, charged_at);

-- Organizers raise a participant's rolling limit for a while.
create table quota_grants (
  id int generated always as identity primary key,
  collaboration_id int not null references collaborations(id),
  participant_id int not null references participants(id),
  extra_jobs int not null check (extra_jobs > 0),
  reason text not null,
  granted_by int not null references participants(id),
  created_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index quota_grants_participant on quota_grants (collaboration_id, participant_id, expires_at);

-- Each lease a runner held on a job, and how it ended.
create table job_attempts (
  job_id int not null references jobs(id),
  attempt int not null,
  runner_id int not null references runners(id),
  started_at timestamptz not null default now(),
  ended_at timestamptz,
  outcome text,
  reason text,
  primary key (job_id, attempt)
);

create table job_logs (
  job_id int not null references jobs(id),
  seq int not null,
  attempt int not null,
  stream text not null check (stream in ('harness', 'stdout', 'stderr', 'runner', 'platform')),
  text text not null,
  created_at timestamptz not null default now(),
  primary key (job_id, seq)
);

-- Written once per job: the primary key and the job's state change in the same transaction make
-- a second write impossible.
create table results (
  job_id int primary key references jobs(id),
  collaboration_id int not null references collaborations(id),
  submission_id int not null references submissions(id),
  split text not null,
  hardware_class text not null,
  metric jsonb not null,
  samples double precision[] not null,
  guardrails jsonb not null default '[]',
  guardrails_passed boolean not null,
  per_prompt jsonb not null default '[]',
  extra jsonb not null default '{}',
  harness jsonb not null,
  environment jsonb not null,
  created_at timestamptz not null default now()
);
create index results_board on results (collaboration_id, split, hardware_class);
create index results_submission on results (submission_id);
