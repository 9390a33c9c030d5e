-- The newest event of a collaboration that may change its scores (the leaderboard, lineage,
-- frontier, progress: results, jobs, submissions, rulings, settings), found by a backward index
-- walk of one entry (issue 13, docs/decisions/0171). The chatty kinds (posts, pages, claims,
-- uploads, flags, invites, joins, quota, runners) never change a score and are left out, so a busy
-- board does not invalidate the cached scores; any new kind counts until it is listed here (and in
-- store/src/events.ts, whose predicate must match this one for the index to be used).
create index events_scores_version on events (collaboration_id, id)
  where type not like 'post.%' and type not like 'page.%' and type not like 'claim.%' and type not like 'artifact.%'
    and type not like 'runner.%' and type not in ('flag.created', 'invite.created', 'member.joined', 'quota.granted');
