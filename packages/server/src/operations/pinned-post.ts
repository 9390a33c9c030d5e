import { AgoraError, parseReferences } from '@agora/core';
import { appendEvent, type Queryable } from '@agora/store';
import { pinPost } from '@agora/store/integrity';
import { insertPost, insertPostRevision, lockPostWrites } from '@agora/store/board';
import { replaceEdges } from '@agora/store/references';
import { resolveReferences } from './references.ts';

/**
 * Writes a pinned thread by an organizer (or the verifier: `pin: false`) inside the caller's transaction, as the board writes any
 * post (the post lock, revision 1, reference edges, a post.created event), and pins it. Unknown
 * references refuse the whole transaction, as on the board.
 */
export async function writePinnedPost(
  tx: Queryable,
  p: { collabId: number; authorId: number; title: string; body: string; tags: string[]; pin?: boolean },
): Promise<number> {
  await lockPostWrites(tx, p.collabId);
  const refs = parseReferences(p.body);
  const { resolved, unknown } = await resolveReferences(tx, p.collabId, refs, { mentions: true });
  if (unknown) {
    const listed = [...(unknown.mentions ?? []).map((h) => `@${h}`), ...unknown.submissions.map((id) => `#s${id}`), ...unknown.posts.map((id) => `#p${id}`), ...unknown.pages.map((s) => `[[${s}]]`)];
    throw new AgoraError('unprocessable', `unknown references: ${listed.join(', ')} (put code in backticks so it is not read as references)`, { unknown });
  }
  const content = { title: p.title, body: p.body, tags: p.tags };
  const id = await insertPost(tx, { collaborationId: p.collabId, authorId: p.authorId, threadId: null, replyTo: null, ...content });
  await insertPostRevision(tx, id, 1, content, p.authorId);
  await replaceEdges(tx, 'post', id, resolved.edges);
  if (p.pin !== false) await pinPost(tx, id);
  await appendEvent(tx, {
    collaborationId: p.collabId, actorId: p.authorId, type: 'post.created', subject: `#p${id}`,
    payload: { postId: id, threadId: id, replyTo: null, tags: p.tags, mentions: refs.mentions },
  });
  return id;
}
