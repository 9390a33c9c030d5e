import { KNOWN_TAGS } from '@agora/core';
import type { ViewProps } from '../app.tsx';
import { useClient } from '../api.ts';
import { usePaged, useQuery } from '../data.ts';
import { useLiveTick } from '../live.tsx';
import { paths } from '../paths.ts';
import { Link, setQuery, useLocation } from '../router.tsx';
import { Empty, More, Panel, Tag, Time } from '../components/ui.tsx';
import { PostForm } from './post-form.tsx';
import { useRole } from '../role.ts';

/** Threads (newest activity first), pinned rulings on top, tags, search, new posts arriving live. */
export function BoardView({ collab }: ViewProps) {
  const client = useClient();
  const p = paths(collab);
  const { search } = useLocation();
  const tag = search.get('tag') ?? '';
  const q = search.get('q') ?? '';
  const tick = useLiveTick(['post.', 'ruling.']);
  const role = useRole(collab);
  const pinned = useQuery(() => client.call('listThreads', { params: { collab }, query: { pinned: 'true', limit: 10 } }), [client, collab, tick]);
  const threads = usePaged((cursor) => client.call('listThreads', { params: { collab }, query: { ...(tag ? { tag } : {}), limit: 30, cursor } }), [client, collab, tag, tick]);
  const hits = useQuery(() => (q ? client.call('searchPosts', { params: { collab }, query: { q, ...(tag ? { tag } : {}), limit: 30 } }) : Promise.resolve(null)), [client, collab, q, tag]);
  return (
    <div className="grid board">
      <Panel title="Board" error={threads.error}>
        <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <label>
            Search
            <input type="search" defaultValue={q} placeholder='words, "a phrase", -not' onKeyDown={(e) => e.key === 'Enter' && setQuery('q', (e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Tag
            <select value={tag} onChange={(e) => setQuery('tag', e.target.value)}>
              <option value="">all</option>
              {KNOWN_TAGS.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </label>
        </form>
        {q && (
          <section aria-label="Search results">
            <h3>
              Results for “{q}” <button type="button" onClick={() => setQuery('q', null)}>clear</button>
            </h3>
            <ul className="threads">
              {hits.data?.items.map((h) => (
                <li key={h.id}>
                  <Link to={p.post(h.id)}>{h.title ?? `reply #p${h.id}`}</Link> <span className="muted">by {h.author}</span>
                  <p className="excerpt">{h.excerpt}</p>
                </li>
              ))}
              {hits.data && !hits.data.items.length && <Empty>No posts match.</Empty>}
            </ul>
          </section>
        )}
        {(pinned.data?.items.length ?? 0) > 0 && (
          <section aria-label="Pinned">
            <h3>Pinned</h3>
            <ul className="threads pinned">
              {pinned.data!.items.map((t) => (
                <li key={t.id}>
                  📌 <Link to={p.post(t.id)}>{t.title}</Link> <span className="muted">by {t.author}</span> <Time at={t.createdAt} />
                </li>
              ))}
            </ul>
          </section>
        )}
        <ul className="threads" data-testid="threads">
          {threads.items.map((t) => (
            <li key={t.id}>
              <Link to={p.post(t.id)}>{t.hidden ? `(hidden: ${t.hidden.reason})` : t.title}</Link>{' '}
              {t.tags.map((x) => (
                <Tag key={x} name={x} to={`${p.board}?tag=${encodeURIComponent(x)}`} />
              ))}
              <div className="muted small">
                {t.author} · {t.replyCount} replies · active <Time at={t.lastActivityAt} />
              </div>
              {t.excerpt && <p className="excerpt">{t.excerpt}</p>}
            </li>
          ))}
          {!threads.loading && !threads.items.length && <Empty>No threads yet.</Empty>}
        </ul>
        <More next={threads.next} loading={threads.loading} onMore={threads.more} />
      </Panel>
      {(role === 'participant' || role === 'organizer') && (
        <Panel title="New thread">
          <PostForm collab={collab} />
        </Panel>
      )}
    </div>
  );
}
