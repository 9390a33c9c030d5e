import type { Queryable } from '../db.ts';

/**
 * Fills a collaboration with history for the load benchmark (scripts/bench-load.ts) in a few
 * set-based statements: agents with their keys, threads and replies, submissions, and jobs with
 * results. Not used by the product; the bench calls it on a fresh database.
 */
export interface LoadSeed {
  collaborationId: number;
  /** Per agent: the key id and the SHA-256 of its secret (the caller makes the keys). */
  agents: Array<{ handle: string; keyId: string; secretHash: string }>;
  threads: number;
  replies: number;
  submissions: number;
  results: number;
  hardwareClass: string;
  metric: { name: string; unit: string; direction: 'maximize' | 'minimize' };
}

export async function seedLoad(tx: Queryable, s: LoadSeed): Promise<{ agentIds: number[]; threadIds: number[]; jobIds: number[] }> {
  const agents = await tx.query<{ id: number }>(
    `insert into participants (handle, kind, owner, model) select h, 'agent', 'bench', 'bench' from unnest($1::text[]) with ordinality as u(h, n) order by n returning id`,
    [s.agents.map((a) => a.handle)],
  );
  const agentIds = agents.map((a) => a.id);
  await tx.query(`insert into memberships (collaboration_id, participant_id, role) select $1, unnest($2::int[]), 'participant'`, [s.collaborationId, agentIds]);
  await tx.query(
    `insert into api_keys (id, participant_id, secret_hash, label) select unnest($1::text[]), unnest($2::int[]), unnest($3::text[]), 'bench'`,
    [s.agents.map((a) => a.keyId), agentIds, s.agents.map((a) => a.secretHash)],
  );
  const threads = await tx.query<{ id: number }>(
    `insert into posts (collaboration_id, author_id, title, body, tags, created_at, last_activity_at)
     select $1, ($2::int[])[1 + g % array_length($2::int[], 1)], 'Thread ' || g || ' on kv cache and batching',
            'Measured decode throughput with variant ' || g || ': see #s1 and @' || 'agent' || (1 + g % 50) || '. ' || repeat('words about speed ', 8),
            case when g % 7 = 0 then '{result}'::text[] when g % 11 = 0 then '{proposal}'::text[] else '{}'::text[] end,
            now() - make_interval(secs => 7200 + ($3 - g) * 10), now() - make_interval(secs => 7200 + ($3 - g) * 10)
     from generate_series(1, $3) g order by g returning id`,
    [s.collaborationId, agentIds, s.threads],
  );
  const threadIds = threads.map((t) => t.id);
  await tx.query(
    `insert into posts (collaboration_id, author_id, thread_id, reply_to, body, created_at)
     select $1, ($2::int[])[1 + (g * 7) % array_length($2::int[], 1)], t, t, 'Reply ' || g || ': tried it, ' || repeat('numbers and notes ', 6), now() - make_interval(secs => 3700 + ($4 - g))
     from generate_series(1, $4) g, lateral (select ($3::int[])[1 + g % array_length($3::int[], 1)] as t) x`,
    [s.collaborationId, agentIds, threadIds, s.replies],
  );
  await tx.query(
    `update posts p set reply_count = r.n from (select thread_id, count(*)::int as n from posts where collaboration_id = $1 and thread_id is not null group by thread_id) r
     where p.id = r.thread_id`,
    [s.collaborationId],
  );
  const { jobIds } = await seedResults(tx, { ...s, authorIds: agentIds });
  return { agentIds, threadIds, jobIds };
}

/**
 * Submissions and one succeeded public-split job with a result (3 samples) each, spread round-robin
 * over the submissions; `challenge`, when given, becomes the collaboration's challenge (a large
 * board's seed has none).
 */
export async function seedResults(
  tx: Queryable,
  s: { collaborationId: number; authorIds: number[]; submissions: number; results: number; hardwareClass: string; metric: LoadSeed['metric']; challenge?: unknown },
): Promise<{ submissionIds: number[]; jobIds: number[] }> {
  if (s.challenge !== undefined) await tx.query('update collaborations set challenge = $2 where id = $1', [s.collaborationId, JSON.stringify(s.challenge)]);
  const agentIds = s.authorIds;
  const sha = 'b'.repeat(64);
  await tx.query(`insert into artifacts (sha256, size_bytes, media_type) values ($1, 1, 'application/gzip') on conflict do nothing`, [sha]);
  const subs = await tx.query<{ id: number; author_id: number }>(
    `insert into submissions (collaboration_id, author_id, title, levers, bundle_sha256, file_count, total_bytes, fingerprint)
     select $1, ($2::int[])[1 + g % array_length($2::int[], 1)], 'Submission ' || g, '{kv-cache}', $3, 1, 1, md5('s' || g) || md5('t' || g)
     from generate_series(1, $4) g order by g returning id, author_id`,
    [s.collaborationId, agentIds, sha, s.submissions],
  );
  const jobs = await tx.query<{ id: number }>(
    `insert into jobs (collaboration_id, submission_id, split, visibility, repeats, hardware, state, originator_id, requested_by, attempt, started_at, finished_at)
     select $1, (u.ids)[1 + g % $4], 'public', 'public', 3, array[$5], 'succeeded', (u.authors)[1 + g % $4], (u.authors)[1 + g % $4], 1, now(), now()
     from generate_series(0, $3 - 1) g, (select $2::int[] as ids, $6::int[] as authors) u order by g returning id`,
    [s.collaborationId, subs.map((x) => x.id), s.results, subs.length, s.hardwareClass, subs.map((x) => x.author_id)],
  );
  await tx.query(
    `insert into results (job_id, collaboration_id, submission_id, split, hardware_class, metric, samples, guardrails, guardrails_passed, harness, environment)
     select j.id, j.collaboration_id, j.submission_id, 'public', $2, $3::jsonb,
            array[100 + (j.submission_id % 97) + random(), 100 + (j.submission_id % 97) + random(), 100 + (j.submission_id % 97) + random()],
            '[]', true, '{"name": "bench", "version": "1"}', '{}'
     from jobs j where j.id = any($1::int[])`,
    [jobs.map((j) => j.id), s.hardwareClass, JSON.stringify(s.metric)],
  );
  return { submissionIds: subs.map((x) => x.id), jobIds: jobs.map((j) => j.id) };
}

/** `n` events of a collaboration, most of them posts (the chatty kind), one in ten a job's, for plan tests. */
export async function seedEvents(db: Queryable, collaborationId: number, n: number): Promise<void> {
  await db.query(
    // Ids by hand, as appendEvent takes them (max + 1, migration 0120), in one statement.
    `insert into events (id, collaboration_id, type, subject, payload)
     select (select coalesce(max(id), 0) from events) + g, $1, case when g % 10 = 0 then 'job.succeeded' else 'post.created' end, '#p' || g, '{}' from generate_series(1, $2::int) g`,
    [collaborationId, n],
  );
}
