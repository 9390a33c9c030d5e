/** Row types of the board tables as the queries in this folder return them; declared once here. */
export interface PostRow {
  id: number;
  collaboration_id: number;
  author_id: number;
  author_handle: string;
  thread_id: number | null;
  reply_to: number | null;
  title: string | null;
  body: string;
  tags: string[];
  revision: number;
  edited_at: Date | null;
  hidden_at: Date | null;
  hidden_by_handle: string | null;
  hidden_reason: string | null;
  /** Set on rulings and final standings (decision 0120): shown first by the board's readers. */
  pinned_at: Date | null;
  reply_count: number;
  last_activity_at: Date;
  created_at: Date;
}

export interface PostRevisionRow {
  revision: number;
  title: string | null;
  body: string;
  tags: string[];
  editor: string;
  created_at: Date;
}

export interface ReadCursorRow {
  last_read_post_id: number;
  updated_at: Date;
}

/** What one post says: written as a post's first revision and as every edit. */
export interface PostContent {
  title: string | null;
  body: string;
  tags: string[];
}
