-- A job that scored but failed a guardrail has a state of its own (issue 11; docs/decisions/0086).
alter table jobs drop constraint jobs_state_check;
alter table jobs add constraint jobs_state_check
  check (state in ('queued', 'running', 'succeeded', 'guardrail_failed', 'failed', 'errored', 'timed_out', 'cancelled'));
