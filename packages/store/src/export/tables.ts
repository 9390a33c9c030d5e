/**
 * The tables of an export (docs/export.md), in the order an import writes them (each refers only
 * to those before it). `where` selects one collaboration's rows ($1 its id); `privateOnly` tables
 * and `privateWhere` rows come only in an organizer's private export; `drop` columns never leave.
 * Rows are read as PostgreSQL's own to_jsonb of the row, so both engines write the same JSON and
 * an import parses it back with jsonb_populate_recordset into exactly the same values.
 */
export interface TableSpec {
  name: string;
  where: string;
  order: string;
  /** A row filter added unless the export is private. */
  publicWhere?: string;
  privateOnly?: boolean;
  /** Columns never exported (generated, operational or secret). */
  drop?: string[];
  /** Nullable columns exported as null: references to what an export leaves out (runners). */
  nullify?: string[];
  /** Unless private: rows matching `when` get `body` replaced (hidden posts' text is the organizers'). */
  maskBodyWhen?: string;
}

export const HIDDEN_BODY = '[hidden by an organizer]';

const postsOf = 'collaboration_id = $1';
const ofPosts = 'post_id in (select id from posts where collaboration_id = $1)';
const ofPages = 'page_id in (select id from pages where collaboration_id = $1)';
const ofSubmissions = 'submission_id in (select id from submissions where collaboration_id = $1)';
// Everyone the collaboration's rows name: members, its creator, and non-members who acted in it (the verifier).
const members = `id in (select participant_id from memberships where collaboration_id = $1 union select created_by from collaborations where id = $1
  union select author_id from posts where collaboration_id = $1 union select actor_id from events where collaboration_id = $1 and actor_id is not null
  union select requested_by from jobs where collaboration_id = $1 union select originator_id from jobs where collaboration_id = $1)`;

export const EXPORT_TABLES: readonly TableSpec[] = [
  { name: 'participants', where: members, order: 'id', drop: ['is_admin'] },
  { name: 'collaborations', where: 'id = $1', order: 'id', drop: ['challenge_dir'] },
  { name: 'memberships', where: 'collaboration_id = $1', order: 'participant_id' },
  { name: 'artifacts', where: `sha256 in (select bundle_sha256 from submissions where collaboration_id = $1 union select sha256 from collaboration_artifacts where collaboration_id = $1)`, order: 'sha256' },
  { name: 'collaboration_artifacts', where: 'collaboration_id = $1', order: 'sha256' },
  { name: 'posts', where: postsOf, order: 'id', drop: ['search'], maskBodyWhen: 'x.hidden_at is not null' },
  { name: 'post_revisions', where: ofPosts, order: 'post_id, revision', maskBodyWhen: 'x.post_id in (select id from posts where hidden_at is not null)' },
  { name: 'post_edges', where: ofPosts, order: 'post_id, kind, target' },
  // A page's search vector is a stored column (the store computes it on write), so it travels; a post's is generated.
  { name: 'pages', where: 'collaboration_id = $1', order: 'id' },
  { name: 'page_revisions', where: ofPages, order: 'page_id, number' },
  { name: 'page_edges', where: ofPages, order: 'page_id, kind, target' },
  // Rulings before submissions (a submission names the ruling it is invalid by), their effects after.
  { name: 'rulings', where: 'collaboration_id = $1', order: 'id' },
  { name: 'submissions', where: 'collaboration_id = $1', order: 'id' },
  { name: 'submission_files', where: ofSubmissions, order: 'submission_id, path' },
  { name: 'submission_artifacts', where: ofSubmissions, order: 'submission_id, path' },
  { name: 'submission_parents', where: ofSubmissions, order: 'submission_id, parent_id' },
  { name: 'submission_credits', where: ofSubmissions, order: 'submission_id, participant_id' },
  { name: 'ruling_effects', where: 'ruling_id in (select id from rulings where collaboration_id = $1)', order: 'ruling_id, submission_id' },
  { name: 'flags', where: 'collaboration_id = $1', order: 'id', privateOnly: true },
  { name: 'claims', where: 'collaboration_id = $1', order: 'id' },
  { name: 'jobs', where: 'collaboration_id = $1', order: 'id', publicWhere: `visibility = 'public'`, nullify: ['runner_id'] },
  { name: 'results', where: 'collaboration_id = $1', order: 'job_id', publicWhere: `job_id in (select id from jobs where collaboration_id = $1 and visibility = 'public')` },
  { name: 'events', where: 'collaboration_id = $1', order: 'id' },
];
