-- An organizer may queue another private job of a submission while one runs (jobs run --split
-- private): each is a verification of its own. The verifier and `verify` still never queue a second
-- while one is pending (they check under the verifier's lock), so the one-pending index goes.
drop index verifications_one_pending;
