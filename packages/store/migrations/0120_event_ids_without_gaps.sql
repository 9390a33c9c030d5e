-- Event ids without gaps (decision 0160). An identity column hands out ids that a rolled-back
-- transaction, or a crash (PostgreSQL logs sequences 32 values ahead and resumes past them), never
-- uses: a reader could not tell a gap from a lost event. appendEvent now takes max(id) + 1 under the
-- advisory lock it already holds until commit, so an id is used exactly when its event commits.
alter table events alter column id drop identity;
