-- Integrity (issue 11): flags, rulings and what they did, withdrawal, pinned posts, final standings.

create table flags (
  id int generated always as identity primary key,
  collaboration_id int not null references collaborations(id),
  reporter_id int not null references participants(id),
  -- exactly one target: a submission or a post
  submission_id int references submissions(id),
  post_id int references posts(id),
  category text not null
    check (category in ('loophole', 'overfitting', 'missing-attribution', 'broken-measurement', 'other')),
  evidence text not null,
  state text not null default 'open' check (state in ('open', 'upheld', 'dismissed')),
  -- the ruling that closed it (set with state)
  ruling_id int,
  created_at timestamptz not null default now(),
  check ((submission_id is null) <> (post_id is null)),
  check ((state = 'open') = (ruling_id is null))
);
create index flags_queue on flags (collaboration_id, state, id);
create index flags_submission on flags (submission_id) where submission_id is not null;
create index flags_reporter on flags (collaboration_id, reporter_id) where state = 'open';

-- Pinned posts stay at the top of the board (rulings are pinned when made).
alter table posts add column pinned_at timestamptz;

create table rulings (
  id int generated always as identity primary key,
  collaboration_id int not null references collaborations(id),
  organizer_id int not null references participants(id),
  kind text not null check (kind in ('uphold', 'dismiss', 'reinstate')),
  title text not null,
  text text not null,
  lever text,
  revokes int references rulings(id),
  -- the pinned public post (tag ruling) announcing it
  post_id int not null references posts(id),
  created_at timestamptz not null default now()
);
create index rulings_collab on rulings (collaboration_id, id);
alter table flags add constraint flags_ruling_fk foreign key (ruling_id) references rulings(id);

-- What each ruling did to each submission, in order: the history behind submissions.invalid_by.
create table ruling_effects (
  ruling_id int not null references rulings(id),
  submission_id int not null references submissions(id),
  effect text not null check (effect in ('invalidated', 'reinstated')),
  primary key (ruling_id, submission_id)
);
create index ruling_effects_submission on ruling_effects (submission_id);

-- The ruling a submission is invalid by (invalidated_at and invalidated_reason say when and its title);
-- withdrawal by the author. Either keeps it out of the ranking; both keep it in the lineage.
alter table submissions add column invalid_by int references rulings(id);
alter table submissions add column withdrawn_at timestamptz;
alter table submissions add column withdrawn_reason text;

-- Written once per collaboration, after the end: the final standings are immutable.
create table final_standings (
  collaboration_id int primary key references collaborations(id),
  published_by int not null references participants(id),
  post_id int not null references posts(id),
  split text not null,
  entries jsonb not null,
  published_at timestamptz not null default now()
);

-- One open flag per reporter and target (a second is a conflict, even when two race).
create unique index flags_one_open on flags (reporter_id, coalesce(submission_id, 0), coalesce(post_id, 0)) where state = 'open';
