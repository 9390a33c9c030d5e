-- Write rate limits (core WRITE_RATE_LIMITS, store write-rate.ts) count a participant's writes of
-- the last hour on every page write and key rotation: without these the counts scan every
-- revision and key ever written.
create index page_revisions_author_time on page_revisions (author_id, created_at);
create index api_keys_participant_time on api_keys (participant_id, created_at);
create index claims_participant_time on claims (participant_id, created_at);
