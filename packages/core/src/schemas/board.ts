import { z } from 'zod';
import { Handle, Label } from './identity.ts';

/** Markdown bodies are bounded in UTF-8 bytes, as stored, not in characters. */
export const POST_BODY_MAX_BYTES = 64 * 1024;
export const POST_TITLE_MAX = 200;
export const POST_TAGS_MAX = 10;
export const HIDE_REASON_MAX = 1000;

/** Tags with a meaning to the platform; any other tag matching TagName is a free tag. */
export const KNOWN_TAGS = ['result', 'proposal', 'question', 'ruling', 'verification', 'dead-end'] as const;
/** Only organizers (and the verifier) may tag a post `ruling` or `verification`: they are the organizers' word. */
export const ORGANIZER_TAGS: readonly string[] = ['ruling', 'verification'];

export const TagName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'a tag is 1-32 lowercase letters, digits or "-", starting with a letter or digit');

export const Tags = z
  .array(TagName)
  .max(POST_TAGS_MAX)
  .transform((tags) => [...new Set(tags)]);

// C0 controls other than tab, newline and carriage return, and DEL; PostgreSQL cannot store NUL at all.
const BAD_CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** UTF-8 byte length without allocating (for well-formed strings). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; }
    else n += 3;
  }
  return n;
}

export const PostBody = z
  .string()
  .refine((s) => s.trim().length > 0, 'the body is empty')
  .refine((s) => s.isWellFormed(), 'the body has a lone UTF-16 surrogate (not valid unicode)')
  .refine((s) => !BAD_CONTROL.test(s), 'control characters other than tab and newline are not allowed')
  .refine((s) => utf8Length(s) <= POST_BODY_MAX_BYTES, `the body is over ${POST_BODY_MAX_BYTES} bytes (UTF-8)`);

export const PostTitle = Label(POST_TITLE_MAX)
  .refine((s) => s.isWellFormed(), 'the title has a lone UTF-16 surrogate (not valid unicode)')
  // Titles are shown in lists next to other text: a right-to-left override would garble them.
  .refine((s) => !/[\u202a-\u202e\u2066-\u2069]/.test(s), 'bidirectional override characters are not allowed in a title');

export const CreatePostBody = z.object({
  /** Required for a new thread; forbidden on a reply. */
  title: PostTitle.optional(),
  body: PostBody,
  tags: Tags.default([]),
  /** The post answered: makes this a reply in that post's thread. */
  replyTo: z.number().int().positive().max(2_147_483_647).optional(),
});

export const EditPostBody = z
  .object({
    title: PostTitle.optional(),
    body: PostBody.optional(),
    tags: Tags.optional(),
    /** Optimistic concurrency: refuse with edit_conflict when the post is no longer at this revision. */
    expectedRevision: z.number().int().positive().optional(),
  })
  .refine((b) => b.title !== undefined || b.body !== undefined || b.tags !== undefined, 'nothing to change: give title, body or tags');

export const HidePostBody = z.object({ reason: Label(HIDE_REASON_MAX) });

export const PostRefs = z.object({
  mentions: z.array(z.object({ handle: Handle })),
  submissions: z.array(z.object({ id: z.number().int(), url: z.string() })),
  pages: z.array(z.object({ slug: z.string(), url: z.string() })),
  posts: z.array(z.object({ id: z.number().int(), url: z.string() })),
});
export type PostRefs = z.infer<typeof PostRefs>;

export const Hidden = z.object({ reason: z.string(), by: z.string(), at: z.string() });

/**
 * A post as read. When hidden, everyone sees that it is hidden, by whom and why; only organizers
 * still see its title, body, html and refs (null for everyone else).
 */
export const Post = z.object({
  id: z.number().int(),
  threadId: z.number().int(),
  replyTo: z.number().int().nullable(),
  author: z.string(),
  title: z.string().nullable(),
  body: z.string().nullable(),
  /** The body rendered to HTML that is safe to insert into a page: no raw HTML, no script, only http(s)/mailto/relative links. */
  html: z.string().nullable(),
  tags: z.array(z.string()),
  refs: PostRefs.nullable(),
  revision: z.number().int(),
  createdAt: z.string(),
  editedAt: z.string().nullable(),
  hidden: Hidden.nullable(),
  /** When an organizer's post was pinned (rulings, final standings); null for others. */
  pinnedAt: z.string().nullable(),
  url: z.string(),
});
export type Post = z.infer<typeof Post>;

/** A short form for lists: no body, a plain-text excerpt (null when hidden from the caller). */
export const PostSummary = z.object({
  id: z.number().int(),
  threadId: z.number().int(),
  replyTo: z.number().int().nullable(),
  author: z.string(),
  title: z.string().nullable(),
  excerpt: z.string().nullable(),
  tags: z.array(z.string()),
  revision: z.number().int(),
  createdAt: z.string(),
  hidden: Hidden.nullable(),
  /** When an organizer's post was pinned (rulings, final standings); null for others. */
  pinnedAt: z.string().nullable(),
  url: z.string(),
});
export type PostSummary = z.infer<typeof PostSummary>;

export const ThreadSummary = PostSummary.extend({
  replyCount: z.number().int(),
  lastActivityAt: z.string(),
});

export const PostRevision = z.object({
  revision: z.number().int(),
  title: z.string().nullable(),
  body: z.string().nullable(),
  tags: z.array(z.string()),
  editor: z.string(),
  createdAt: z.string(),
});

export const SearchHit = PostSummary.extend({ rank: z.number() });

const NewGroup = z.object({
  /** How many posts are in the group, counted up to 100: past that, `totalCapped` and total is 100 (decision 0170). */
  total: z.number().int(),
  totalCapped: z.boolean(),
  items: z.array(PostSummary),
});

/** "What is new for me", in the order to read it. A post may appear in more than one group. */
export const BoardNew = z.object({
  /** The cursor these results are relative to (posts with a greater id are new). */
  since: z.number().int(),
  /** The newest post id considered: POST .../board/read with it to mark all of this read. */
  upTo: z.number().int(),
  newThreads: NewGroup,
  repliesToMe: NewGroup,
  mentionsOfMe: NewGroup,
  rulings: NewGroup,
});

export const ReadCursor = z.object({ lastReadPostId: z.number().int(), updatedAt: z.string().nullable() });
