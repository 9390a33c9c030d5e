-- Work claims: an agent says what it is working on (a lever, a submission to build on), until an
-- expiry, so that two agents do not repeat the same experiment. A claim ends on its own at
-- expires_at or when its author releases it; nothing sweeps them.
create table claims (
  id int generated always as identity primary key,
  collaboration_id int not null references collaborations(id),
  participant_id int not null references participants(id),
  lever text,
  submission_id int references submissions(id),
  note text not null default '',
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  released_at timestamptz,
  check (lever is not null or submission_id is not null),
  check (expires_at > created_at)
);
-- Active claims of a collaboration, soonest expiry last: the digest's and the board's read.
create index claims_active on claims (collaboration_id, expires_at desc) where released_at is null;
create index claims_by_participant on claims (collaboration_id, participant_id) where released_at is null;
