import { PAGE_CATEGORIES } from '@agora/core';
import type { ViewProps } from '../app.tsx';
import { useClient } from '../api.ts';
import { usePaged, useQuery } from '../data.ts';
import { useLiveTick } from '../live.tsx';
import { Markdown } from '../markdown.tsx';
import { paths } from '../paths.ts';
import { Link, setQuery, useLocation } from '../router.tsx';
import { UnifiedDiff } from '../components/diff.tsx';
import { Empty, More, Panel, Tag, Time } from '../components/ui.tsx';

/** The knowledge base: pages by category, search. */
export function KbView({ collab }: ViewProps) {
  const client = useClient();
  const p = paths(collab);
  const { search } = useLocation();
  const category = search.get('category') ?? '';
  const q = search.get('q') ?? '';
  const tick = useLiveTick(['page.']);
  const pages = usePaged((cursor) => client.call('listPages', { params: { collab }, query: { ...(category ? { category: category as never } : {}), limit: 50, cursor } }), [client, collab, category, tick]);
  const hits = useQuery(() => (q ? client.call('searchPages', { params: { collab }, query: { q } }) : Promise.resolve(null)), [client, collab, q]);
  return (
    <Panel title="Knowledge base" error={pages.error ?? hits.error}>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input type="search" defaultValue={q} onKeyDown={(e) => e.key === 'Enter' && setQuery('q', (e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Category
          <select value={category} onChange={(e) => setQuery('category', e.target.value)}>
            <option value="">all</option>
            {PAGE_CATEGORIES.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
      </form>
      {q && (
        <ul className="list">
          {hits.data?.items.map((h) => (
            <li key={h.slug}>
              <Link to={p.page(h.slug)}>{h.title}</Link> <span className="muted small">{h.snippet.replaceAll('**', '')}</span>
            </li>
          ))}
          {hits.data && !hits.data.items.length && <Empty>No pages match.</Empty>}
        </ul>
      )}
      <ul className="list" data-testid="pages">
        {pages.items.map((pg) => (
          <li key={pg.slug}>
            <Link to={p.page(pg.slug)}>{pg.title}</Link> <Tag name={pg.category} /> <span className="muted small">r{pg.currentRevision} by {pg.updatedBy}, <Time at={pg.updatedAt} /></span>
          </li>
        ))}
        {!pages.loading && !pages.items.length && <Empty>No pages yet.</Empty>}
      </ul>
      <More next={pages.next} loading={pages.loading} onMore={pages.more} />
    </Panel>
  );
}

/** One page at a revision, its history, and the diff between any two revisions (?from=&to=). */
export function KbPageView({ collab, params }: ViewProps) {
  const slug = params.slug!;
  const client = useClient();
  const p = paths(collab);
  const { search } = useLocation();
  const revision = search.get('revision');
  const from = search.get('from');
  const to = search.get('to');
  const tick = useLiveTick(['page.']);
  const page = useQuery(() => client.call('getPage', { params: { collab, slug }, query: revision ? { revision: Number(revision) } : {} }), [client, collab, slug, revision, tick]);
  const history = usePaged((cursor) => client.call('listPageRevisions', { params: { collab, slug }, query: { limit: 50, cursor } }), [client, collab, slug, tick]);
  const diff = useQuery(
    () => (from || to ? client.call('diffPage', { params: { collab, slug }, query: { ...(from ? { from: Number(from) } : {}), ...(to ? { to: Number(to) } : {}) } }) : Promise.resolve(null)),
    [client, collab, slug, from, to],
  );
  const d = page.data;
  return (
    <div className="grid kb-page">
      <Panel title={d?.revision.title ?? slug} loading={page.loading} error={page.error}>
        <p>
          <Link to={p.kb}>‹ Knowledge base</Link>
        </p>
        {d && (
          <>
            <p className="muted small">
              <Tag name={d.page.category} /> revision {d.revision.number} of {d.page.currentRevision} by {d.revision.author}, <Time at={d.revision.createdAt} />
              {d.revision.number !== d.page.currentRevision && (
                <>
                  {' '}
                  — <Link to={p.page(slug)}>current revision</Link>
                </>
              )}
            </p>
            <Markdown text={d.revision.body} collab={collab} />
            {(d.linkedFrom.length > 0 || d.linkedFromPosts.length > 0) && (
              <p className="muted small">
                Linked from:{' '}
                {d.linkedFrom.map((x) => (
                  <Link key={x.slug} to={p.page(x.slug)}>
                    {x.title}{' '}
                  </Link>
                ))}
                {d.linkedFromPosts.map((x) => (
                  <Link key={x} to={p.post(x)}>
                    #p{x}{' '}
                  </Link>
                ))}
              </p>
            )}
          </>
        )}
      </Panel>
      {diff.data && (
        <Panel title={`Changes r${diff.data.from} → r${diff.data.to}`} error={diff.error}>
          <p className="muted small">
            +{diff.data.added} −{diff.data.removed}
            {diff.data.title && ` · title: “${diff.data.title.from}” → “${diff.data.title.to}”`}
          </p>
          {diff.data.unified ? <UnifiedDiff text={diff.data.unified} /> : <Empty>The bodies are the same.</Empty>}
        </Panel>
      )}
      <Panel title="History" error={history.error}>
        <ol className="history" data-testid="history">
          {history.items.map((r) => (
            <li key={r.number}>
              <Link to={`${p.page(slug)}?revision=${r.number}`}>r{r.number}</Link> by {r.author}, <Time at={r.createdAt} /> {r.summary && <span className="muted">— {r.summary}</span>}
              {r.revertedFrom && <span className="muted"> (restores r{r.revertedFrom})</span>}{' '}
              {r.number > 1 && (
                <Link className="small" to={`${p.page(slug)}?from=${r.number - 1}&to=${r.number}`}>
                  diff
                </Link>
              )}
            </li>
          ))}
        </ol>
        <More next={history.next} loading={history.loading} onMore={history.more} />
      </Panel>
    </div>
  );
}
