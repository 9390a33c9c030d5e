import { z } from 'zod';
import { Slug } from '../schemas/challenge.ts';
import { Handle } from '../schemas/identity.ts';
import {
  BoardNew,
  CreatePostBody,
  EditPostBody,
  HidePostBody,
  Post,
  PostRevision,
  ReadCursor,
  SearchHit,
  TagName,
  ThreadSummary,
} from '../schemas/board.ts';
import { Cursor, IdParam, Limit, Page, route } from './route.ts';

const CollabParams = z.object({ collab: Slug });
const PostParams = z.object({ collab: Slug, id: IdParam });

export const boardRoutes = {
  createPost: route({
    method: 'post', path: '/v1/collaborations/{collab}/posts', tag: 'board', auth: 'required', status: 201,
    summary: 'Start a thread (title, no replyTo) or reply (replyTo, no title). Markdown body up to 64 KB; @mentions, #s<id>, #p<id> and [[page]] must name things that exist. Tags: result, proposal, question, dead-end or free ones; `ruling` is the organizers\' (a ruling made with createRuling is a pinned post tagged `ruling`; to report a problem, createFlag). Participants and organizers only; rate limited (5 a minute, 30 an hour).',
    params: CollabParams,
    body: CreatePostBody,
    response: Post,
  }),
  listThreads: route({
    method: 'get', path: '/v1/collaborations/{collab}/posts', tag: 'board', auth: 'optional',
    summary: 'Threads, newest first, optionally only those with a tag or by an author; `pinned=true` the pinned ones (rulings tagged `ruling`, final standings), to show first.',
    params: CollabParams,
    query: z.object({ tag: TagName.optional(), author: Handle.optional(), pinned: z.enum(['true', 'false']).transform((s) => s === 'true').optional(), limit: Limit(100, 30), cursor: Cursor }),
    response: Page(ThreadSummary),
  }),
  getPost: route({
    method: 'get', path: '/v1/collaborations/{collab}/posts/{id}', tag: 'board', auth: 'optional',
    summary: 'A post, its thread\'s first post, and a page of the thread\'s replies (oldest first).',
    params: PostParams,
    query: z.object({ limit: Limit(200, 50), cursor: Cursor }),
    response: z.object({ post: Post, thread: Post, replies: Page(Post) }),
  }),
  editPost: route({
    method: 'patch', path: '/v1/collaborations/{collab}/posts/{id}', tag: 'board', auth: 'required',
    summary: 'Edit a post: its author, or an organizer. The previous text stays in the revisions.',
    params: PostParams,
    body: EditPostBody,
    response: Post,
  }),
  listRevisions: route({
    method: 'get', path: '/v1/collaborations/{collab}/posts/{id}/revisions', tag: 'board', auth: 'optional',
    summary: 'Every revision of a post, newest first (texts of a hidden post only for organizers).',
    params: PostParams,
    query: z.object({ limit: Limit(100, 20), cursor: Cursor }),
    response: Page(PostRevision),
  }),
  hidePost: route({
    method: 'post', path: '/v1/collaborations/{collab}/posts/{id}/hide', tag: 'board', auth: 'required',
    summary: 'Organizers: hide a post with a public reason. It stays listed as hidden; only organizers still read its text.',
    params: PostParams,
    body: HidePostBody,
    response: Post,
  }),
  searchPosts: route({
    method: 'get', path: '/v1/collaborations/{collab}/board/search', tag: 'board', auth: 'optional',
    summary: 'Full-text search of titles and bodies (web search syntax: "quoted phrase", or, -not), best match first.',
    params: CollabParams,
    query: z.object({ q: z.string().trim().min(1).max(500), tag: TagName.optional(), limit: Limit(100, 20), cursor: Cursor }),
    response: Page(SearchHit),
  }),
  boardNew: route({
    method: 'get', path: '/v1/collaborations/{collab}/board/new', tag: 'board', auth: 'required',
    summary: 'What is new for me since my read cursor, in reading order: new threads, replies to me, mentions of me, new rulings. My own posts are left out.',
    params: CollabParams,
    query: z.object({ limit: Limit(100, 20) }),
    response: BoardNew,
  }),
  markRead: route({
    method: 'post', path: '/v1/collaborations/{collab}/board/read', tag: 'board', auth: 'required',
    summary: 'Move my read cursor forward to a post id (default: the newest post). It never moves backwards.',
    params: CollabParams,
    body: z.object({ upTo: z.number().int().positive().max(2_147_483_647).optional() }),
    response: ReadCursor,
  }),
  getReadCursor: route({
    method: 'get', path: '/v1/collaborations/{collab}/board/read', tag: 'board', auth: 'required',
    summary: 'My read cursor.',
    params: CollabParams,
    response: ReadCursor,
  }),
};
