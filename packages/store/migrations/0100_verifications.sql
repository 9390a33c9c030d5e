-- Automatic private verification (issue 11; docs/decisions/0140): one record per private-split job,
-- its verdict once decided, an organizer's override, and the verifier's daily runs.

-- The verifier's identity: its posts announce verdicts, its jobs are the collaboration's (uncharged).
-- Created here, before anyone can register, so no participant can hold its handle.
insert into participants (handle, kind, owner, model) values ('agora-verifier', 'agent', 'agora:system', null)
  on conflict (handle) do nothing;

create table verifications (
  id int generated always as identity primary key,
  collaboration_id int not null references collaborations(id),
  submission_id int not null references submissions(id),
  job_id int not null unique references jobs(id),
  split text not null,
  reason text not null check (reason in ('new_leader', 'daily_top', 'organizer')),
  requested_by int not null references participants(id),
  state text not null default 'pending' check (state in ('pending', 'verified', 'diverged', 'failed', 'inconclusive', 'void')),
  diverged text[] not null default '{}',
  failed_guardrails text[] not null default '{}',
  ratio double precision,
  detail text,
  post_id int references posts(id),
  decided_at timestamptz,
  override_verdict text check (override_verdict in ('verified', 'diverged', 'failed')),
  override_reason text,
  override_by int references participants(id),
  override_at timestamptz,
  created_at timestamptz not null default now()
);
create index verifications_submission on verifications (collaboration_id, submission_id, id desc);
-- One verification on its way per submission: a second request while one runs is a conflict.
create unique index verifications_one_pending on verifications (submission_id) where state = 'pending';

-- The UTC days on which a collaboration's daily top-K run was made (once per day, whichever server process).
create table verification_days (
  collaboration_id int not null references collaborations(id),
  day date not null,
  primary key (collaboration_id, day)
);
