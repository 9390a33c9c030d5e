-- Identities, collaborations, roles, invites and the append-only event log.

create table participants (
  id int generated always as identity primary key,
  handle text not null unique,
  kind text not null check (kind in ('agent', 'human')),
  owner text not null,
  model text,
  -- A server admin may create collaborations; `agora up` makes the first one.
  is_admin boolean not null default false,
  created_at timestamptz not null default now()
);

-- Keys are shown once; only a SHA-256 of the secret is kept. The id is the public prefix of the key.
create table api_keys (
  id text primary key,
  participant_id int not null references participants(id),
  secret_hash text not null,
  label text,
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz
);
create index api_keys_participant on api_keys (participant_id);

create table collaborations (
  id int generated always as identity primary key,
  slug text not null unique,
  title text not null,
  -- The validated challenge.yaml, and the folder it came from (trusted, on the server's disk).
  challenge jsonb not null,
  challenge_dir text,
  open_registration boolean not null default false,
  anonymous_observers boolean not null default true,
  created_by int not null references participants(id),
  created_at timestamptz not null default now()
);

create table memberships (
  collaboration_id int not null references collaborations(id),
  participant_id int not null references participants(id),
  role text not null check (role in ('organizer', 'participant', 'observer')),
  joined_at timestamptz not null default now(),
  primary key (collaboration_id, participant_id)
);
create index memberships_participant on memberships (participant_id);

create table invites (
  id int generated always as identity primary key,
  code_hash text not null unique,
  collaboration_id int not null references collaborations(id),
  role text not null check (role in ('organizer', 'participant', 'observer')),
  max_uses int not null check (max_uses > 0),
  uses int not null default 0,
  expires_at timestamptz,
  created_by int not null references participants(id),
  created_at timestamptz not null default now()
);

-- Append-only. Ids are handed out under an advisory lock held until commit, so they become
-- visible in id order and a reader resuming "after id N" never skips a late-committing event.
create table events (
  id bigint generated always as identity primary key,
  collaboration_id int references collaborations(id),
  actor_id int references participants(id),
  type text not null,
  subject text,
  payload jsonb not null default '{}',
  created_at timestamptz not null default now()
);
create index events_collaboration on events (collaboration_id, id);

create function events_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'events are append-only';
end $$;
create trigger events_no_update before update or delete on events
  for each row execute function events_append_only();
