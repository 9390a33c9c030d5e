-- Smoke runs (decision 0180): a free job that starts the submission and sends one untimed request on
-- public data. Never charged (no quota_charges row), never ranked (it writes no results row); counted
-- per requester per day against the challenge's smoke.runs_per_day.
alter table jobs add column smoke boolean not null default false;
create index jobs_smoke_requests on jobs (collaboration_id, requested_by, created_at) where smoke;
