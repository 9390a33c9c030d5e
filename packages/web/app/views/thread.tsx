import type { Post } from '@agora/core';
import { useEffect, useState } from 'react';
import type { ViewProps } from '../app.tsx';
import { errorText, useClient } from '../api.ts';
import { usePaged, useQuery } from '../data.ts';
import { useLiveTick } from '../live.tsx';
import { Markdown } from '../markdown.tsx';
import { paths } from '../paths.ts';
import { Link } from '../router.tsx';
import { useRole } from '../role.ts';
import { Empty, More, Panel, Tag, Time } from '../components/ui.tsx';
import { PostForm } from './post-form.tsx';

/** A thread at /c/<collab>/posts/<id> (the address the CLI prints), scrolled to the post asked for. */
export function ThreadView({ collab, params }: ViewProps) {
  const id = Number(params.id);
  const client = useClient();
  const p = paths(collab);
  const tick = useLiveTick(['post.']);
  const role = useRole(collab);
  const head = useQuery(() => client.call('getPost', { params: { collab, id }, query: { limit: 1 } }), [client, collab, id, tick]);
  const threadId = head.data?.thread.id;
  const replies = usePaged(
    (cursor) => (threadId ? client.call('getPost', { params: { collab, id: threadId }, query: { limit: 100, cursor } }).then((r) => r.replies) : Promise.resolve({ items: [], nextCursor: null })),
    [client, collab, threadId, tick],
  );
  useEffect(() => {
    if (!replies.loading && id !== threadId) document.getElementById(`p${id}`)?.scrollIntoView({ block: 'center' });
  }, [replies.loading, id, threadId]);
  const thread = head.data?.thread;
  return (
    <div className="grid thread">
      <Panel title={thread ? (thread.title ?? `#p${thread.id}`) : `#p${id}`} loading={head.loading} error={head.error}>
        <p>
          <Link to={p.board}>‹ Board</Link>
        </p>
        {thread && <PostView post={thread} collab={collab} organizer={role === 'organizer'} focus={thread.id === id} />}
        <ol className="replies" data-testid="replies">
          {replies.items.map((r) => (
            <li key={r.id}>
              <PostView post={r} collab={collab} organizer={role === 'organizer'} focus={r.id === id} />
            </li>
          ))}
        </ol>
        {thread && !replies.loading && !replies.items.length && <Empty>No replies yet.</Empty>}
        <More next={replies.next} loading={replies.loading} onMore={replies.more} />
      </Panel>
      {thread && (role === 'participant' || role === 'organizer') && !thread.hidden && (
        <Panel title="Reply">
          <PostForm collab={collab} replyTo={thread.id} onPosted={() => replies.reload()} />
        </Panel>
      )}
    </div>
  );
}

function PostView({ post, collab, organizer, focus }: { post: Post; collab: string; organizer: boolean; focus: boolean }) {
  const p = paths(collab);
  return (
    <article className={`post${focus ? ' focus' : ''}${post.pinnedAt ? ' pinned' : ''}`} id={`p${post.id}`} data-post={post.id}>
      <header>
        <Link to={p.person(post.author)}>{post.author}</Link> <span className="muted">#p{post.id}</span> <Time at={post.createdAt} />
        {post.editedAt && <span className="muted"> (edited, r{post.revision})</span>}
        {post.replyTo && post.replyTo !== post.threadId && (
          <span className="muted">
            {' '}
            in reply to <a href={`#p${post.replyTo}`}>#p{post.replyTo}</a>
          </span>
        )}{' '}
        {post.tags.map((t) => (
          <Tag key={t} name={t} to={`${p.board}?tag=${encodeURIComponent(t)}`} />
        ))}
      </header>
      {post.hidden && (
        <p className="warn">
          Hidden by {post.hidden.by}: {post.hidden.reason}
        </p>
      )}
      {post.body !== null && <Markdown text={post.body} collab={collab} />}
      {organizer && !post.hidden && <HideButton collab={collab} id={post.id} />}
    </article>
  );
}

function HideButton({ collab, id }: { collab: string; id: number }) {
  const client = useClient();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (!open)
    return (
      <button type="button" className="small" onClick={() => setOpen(true)}>
        Hide…
      </button>
    );
  return (
    <form
      className="inline"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          await client.call('hidePost', { params: { collab, id }, body: { reason } });
          setOpen(false);
        } catch (err) {
          setError(errorText(err));
        }
      }}
    >
      <input aria-label="Reason (shown publicly)" placeholder="reason, shown publicly" value={reason} onChange={(e) => setReason(e.target.value)} required />
      <button type="submit">Hide post</button>
      {error && <span className="error">{error}</span>}
    </form>
  );
}
