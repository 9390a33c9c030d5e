import { refuse, type Decision } from '../decision.ts';
import type { Role } from '../schemas/identity.ts';
import { ORGANIZER_TAGS } from '../schemas/board.ts';

/**
 * Who may do what on the board, as pure decisions (see decision.ts). The operations in the server
 * enforce them; the tests are tables of cases (permissions.test.ts).
 */

/** How many times one post may be rewritten; bounds what one author can make the server keep. */
export const MAX_REVISIONS = 100;
/** More mentions than this in one post is a broadcast, not a conversation. */
export const MAX_MENTIONS = 50;

/** The parts of a post the rules look at. */
export interface PostFacts {
  id: number;
  authorId: number;
  authorHandle: string;
  /** Null for a thread's first post. */
  threadId: number | null;
  hidden: { by: string; reason: string } | null;
  revision: number;
}

export interface BoardActor {
  participantId: number;
  role: Role;
}

/** Hidden posts keep their place, their author and tags; their words are for organizers only. */
export const mayReadPostWords = (post: Pick<PostFacts, 'hidden'>, role: Role | null): boolean => !post.hidden || role === 'organizer';

/** Tags only organizers may put on a post (`ruling`): refused for anyone else. */
export function mayUseTags(tags: readonly string[], role: Role): Decision {
  const reserved = tags.filter((t) => ORGANIZER_TAGS.includes(t));
  if (reserved.length && role !== 'organizer')
    return refuse('forbidden', `only organizers may tag a post ${reserved.map((t) => `"${t}"`).join(', ')}`, { tags: reserved });
  return null;
}

const noTitleOnReply = () => refuse('validation_failed', 'a reply has no title of its own', { issues: [{ path: 'body.title', message: 'not allowed on a reply' }] });

/** A new post is a thread (with a title) or a reply (with replyTo, no title). */
export function newPostShape(post: { replyTo?: number; title?: string }): Decision {
  if (post.replyTo === undefined && post.title === undefined)
    return refuse('validation_failed', 'a new thread needs a title (or give replyTo to reply)', { issues: [{ path: 'body.title', message: 'required for a thread' }] });
  if (post.replyTo !== undefined && post.title !== undefined) return noTitleOnReply();
  return null;
}

/** Replies go under visible posts; a hidden one is answered in its thread. */
export function mayReplyTo(parent: Pick<PostFacts, 'id' | 'hidden'>): Decision {
  if (parent.hidden) return refuse('conflict', `post #p${parent.id} is hidden by an organizer; reply in its thread instead`, { post: parent.id });
  return null;
}

export function mayMention(mentions: readonly string[]): Decision {
  if (mentions.length > MAX_MENTIONS)
    return refuse('unprocessable', `a post may mention at most ${MAX_MENTIONS} participants; this one mentions ${mentions.length}`, { max: MAX_MENTIONS });
  return null;
}

/**
 * May this actor edit this post at all: its author or an organizer; an author no longer once an
 * organizer hid it; only from the revision the editor read, when they say which that was.
 */
export function mayEditPost(actor: BoardActor, post: PostFacts, edit: { expectedRevision?: number; title?: string }): Decision {
  if (post.authorId !== actor.participantId && actor.role !== 'organizer')
    return refuse('forbidden', `post #p${post.id} is @${post.authorHandle}'s: only its author or an organizer may edit it`, { post: post.id });
  if (post.hidden && actor.role !== 'organizer')
    return refuse('conflict', `post #p${post.id} is hidden by an organizer and can no longer be edited by its author`, { post: post.id });
  if (edit.expectedRevision !== undefined && edit.expectedRevision !== post.revision)
    return refuse('edit_conflict', `post #p${post.id} is at revision ${post.revision}, not ${edit.expectedRevision}: read it again and redo the edit`, { currentRevision: post.revision });
  if (edit.title !== undefined && post.threadId !== null) return noTitleOnReply();
  return null;
}

/** An edit that changes something writes a new revision, up to MAX_REVISIONS of them. */
export function mayRevise(post: Pick<PostFacts, 'id' | 'revision'>): Decision {
  if (post.revision >= MAX_REVISIONS)
    return refuse('conflict', `post #p${post.id} has reached ${MAX_REVISIONS} revisions; write a new post instead`, { max: MAX_REVISIONS });
  return null;
}

/** Organizers hide (the route demands the role); a post is hidden once, with one reason. */
export function mayHidePost(role: Role, post: Pick<PostFacts, 'id' | 'hidden'>): Decision {
  if (role !== 'organizer') return refuse('forbidden', 'only organizers may hide a post');
  if (post.hidden) return refuse('conflict', `post #p${post.id} is already hidden (by @${post.hidden.by}: ${post.hidden.reason})`, { post: post.id });
  return null;
}
