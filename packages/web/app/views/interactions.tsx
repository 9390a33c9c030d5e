import { EDGE_KINDS, type InteractionGraph } from '@agora/core';
import { MultiDirectedGraph } from 'graphology';
import { useEffect, useRef } from 'react';
import Sigma from 'sigma';
import type { ViewProps } from '../app.tsx';
import { useClient } from '../api.ts';
import { usePaged, useQuery } from '../data.ts';
import { num } from '../format.ts';
import { useLiveTick } from '../live.tsx';
import { paths } from '../paths.ts';
import { Link, navigate, setQuery, useLocation } from '../router.tsx';
import { themeColor } from '../components/plot.tsx';
import { Badge, Empty, More, Panel, Tag, Time } from '../components/ui.tsx';

const KIND_COLOURS: Record<string, string> = {
  reply: '#1f77b4', mention: '#17becf', 'builds-on': '#d62728', 'ran-for': '#2ca02c', credited: '#ff7f0e', flagged: '#7f7f7f', ruled: '#9467bd', 'co-edited': '#8c564b',
};

/**
 * Interactions (the analytics routes, docs/analytics.md): the interaction graph in a time window
 * (the slider moves its end), by kind; relays behind frontier steps; per-participant measures.
 */
export function InteractionsView({ collab }: ViewProps) {
  const client = useClient();
  const p = paths(collab);
  const { search } = useLocation();
  const tick = useLiveTick(['submission.', 'post.', 'job.succeeded', 'ruling.'], 3000);
  const detail = useQuery(() => client.call('getCollaboration', { params: { collab } }), [client, collab]);
  const pct = Number(search.get('until') ?? '100');
  const kinds = (search.get('kinds') ?? '').split(',').filter(Boolean);
  const start = detail.data ? Date.parse(detail.data.createdAt) : 0;
  // The window's end: the slider's share of the time from the collaboration's start to now.
  const to = pct >= 100 || !detail.data ? undefined : new Date(start + ((Date.now() - start) * pct) / 100).toISOString();
  const graph = useQuery(() => client.call('interactionGraph', { params: { collab }, query: { ...(to ? { to } : {}), ...(kinds.length ? { kinds: kinds.join(',') } : {}) } }), [client, collab, to, kinds.join(','), tick]);
  const measures = useQuery(() => client.call('analyticsMeasures', { params: { collab }, query: to ? { to } : {} }), [client, collab, to, tick]);
  const relays = useQuery(() => client.call('relays', { params: { collab }, query: {} }), [client, collab, tick]);
  const toggle = (k: string) => setQuery('kinds', (kinds.includes(k) ? kinds.filter((x) => x !== k) : [...kinds, k]).join(',') || null);
  const m = measures.data;
  return (
    <div className="grid interactions">
      <Panel title="Interaction graph" loading={graph.loading && !graph.data} error={graph.error}>
        <div className="filters">
          <label>
            Up to {to ? new Date(to).toLocaleString() : 'now'}
            <input type="range" min={1} max={100} value={pct} onChange={(e) => setQuery('until', e.target.value === '100' ? null : e.target.value)} aria-label="Time window end" />
          </label>
          <fieldset className="kinds">
            <legend>Kinds (none ticked: all)</legend>
            {EDGE_KINDS.map((k) => (
              <label key={k} className="check">
                <span>
                  <input type="checkbox" checked={kinds.includes(k)} onChange={() => toggle(k)} /> <span className="swatch" data-kind={k} ref={(el) => el?.style.setProperty('background', KIND_COLOURS[k]!)} /> {k}
                </span>
              </label>
            ))}
          </fieldset>
        </div>
        {graph.data && <ParticipantGraph collab={collab} data={graph.data} />}
        {graph.data && (
          <div className="table-wrap">
            <table data-testid="interaction-edges">
              <thead>
                <tr>
                  <th scope="col">From</th>
                  <th scope="col">Kind</th>
                  <th scope="col">To</th>
                  <th scope="col">Weight</th>
                  <th scope="col">What</th>
                </tr>
              </thead>
              <tbody>
                {[...graph.data.edges]
                  .sort((a, b) => b.weight - a.weight)
                  .slice(0, 50)
                  .map((e) => (
                    <tr key={`${e.from}-${e.to}-${e.kind}`}>
                      <td>
                        <Link to={p.person(e.from)}>{e.from}</Link>
                      </td>
                      <td>
                        <Tag name={e.kind} />
                      </td>
                      <td>
                        <Link to={p.person(e.to)}>{e.to}</Link>
                      </td>
                      <td className="num">{e.weight}</td>
                      <td className="small">
                        <RefLinks collab={collab} refs={e.refs.slice(0, 5)} />
                      </td>
                    </tr>
                  ))}
              </tbody>
            </table>
          </div>
        )}
        {graph.data && !graph.data.edges.length && <Empty>No interactions in this window.</Empty>}
      </Panel>
      <Panel title="Relays" loading={relays.loading && !relays.data} error={relays.error}>
        <p className="muted small">Frontier steps reached by a chain of at least two authors and three participants.</p>
        <ul className="list" data-testid="relays">
          {relays.data?.relays.map((r) => (
            <li key={r.submissionId}>
              <Link to={p.submission(r.submissionId)}>#s{r.submissionId}</Link> {num(r.value)}
              {r.previous !== null && <span className="muted"> (was {num(r.previous)})</span>}: chain{' '}
              {r.chain.map((c) => (
                <Link key={c.id} to={p.submission(c.id)}>
                  #s{c.id}{' '}
                </Link>
              ))}
              by {r.participants.join(' → ')}
            </li>
          ))}
          {relays.data && !relays.data.relays.length && <Empty>No relays yet.</Empty>}
        </ul>
      </Panel>
      <Panel title="Participants" loading={measures.loading && !m} error={measures.error}>
        {m && (
          <p className="muted small">
            Credit: {m.credit.total} given; Gini {num(m.credit.gini)}, top 10% hold {m.credit.top10Share === null ? '–' : `${num(m.credit.top10Share * 100, 2)}%`}. Board: {m.responseLatency.answered} threads answered, median answer in {m.responseLatency.medianSeconds === null ? '–' : `${num(m.responseLatency.medianSeconds / 60, 2)} min`}. Lineage: {m.lineage.crossAuthorShare === null ? '–' : `${num(m.lineage.crossAuthorShare * 100, 2)}%`} of {m.lineage.links} links cross authors.
          </p>
        )}
        <div className="table-wrap">
          <table data-testid="measures">
            <thead>
              <tr>
                <th scope="col">Participant</th>
                <th scope="col">Posts</th>
                <th scope="col">Submissions</th>
                <th scope="col">Frontier steps</th>
                <th scope="col">Credit given / received</th>
                <th scope="col">Jobs for others / by others</th>
                <th scope="col">PageRank</th>
              </tr>
            </thead>
            <tbody>
              {m &&
                [...m.participants]
                  .sort((a, b) => b.pagerank - a.pagerank)
                  .map((x) => (
                    <tr key={x.handle}>
                      <td>
                        <Link to={p.person(x.handle)}>{x.handle}</Link> <span className="muted small">{x.role}</span>
                      </td>
                      <td className="num">{x.posts}</td>
                      <td className="num">{x.submissions}</td>
                      <td className="num">{x.frontierSteps}</td>
                      <td className="num">
                        {x.creditGiven} / {x.creditReceived}
                      </td>
                      <td className="num">
                        {x.jobsForOthers} / {x.jobsByOthers}
                      </td>
                      <td className="num">{num(x.pagerank)}</td>
                    </tr>
                  ))}
            </tbody>
          </table>
        </div>
      </Panel>
    </div>
  );
}

/** "#p12", "#s3", "job 4", "page playbook r3": links where the dashboard has a page for it. */
function RefLinks({ collab, refs }: { collab: string; refs: string[] }) {
  const p = paths(collab);
  return (
    <>
      {refs.map((r) => {
        let m: RegExpExecArray | null;
        const to = (m = /^#s(\d+)$/.exec(r)) ? p.submission(Number(m[1])) : (m = /^#p(\d+)$/.exec(r)) ? p.post(Number(m[1])) : (m = /^job (\d+)$/.exec(r)) ? p.job(Number(m[1])) : (m = /^page ([a-z0-9-]+)/.exec(r)) ? p.page(m[1]!) : null;
        return to ? (
          <Link key={r} to={to}>
            {r}{' '}
          </Link>
        ) : (
          <span key={r}>{r} </span>
        );
      })}
    </>
  );
}

/** The participants on a circle, edges coloured by kind and as thick as their weight (sigma.js). */
function ParticipantGraph({ collab, data }: { collab: string; data: InteractionGraph }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const g = new MultiDirectedGraph();
    const n = data.nodes.length;
    data.nodes.forEach((node, i) => {
      const a = (2 * Math.PI * i) / Math.max(1, n);
      g.addNode(node.handle, { x: Math.cos(a), y: Math.sin(a), size: node.role === 'organizer' ? 8 : 6, label: node.handle, color: node.role === 'organizer' ? themeColor('--front') : themeColor('--accent') });
    });
    for (const e of data.edges) if (g.hasNode(e.from) && g.hasNode(e.to) && e.from !== e.to) g.addDirectedEdge(e.from, e.to, { size: Math.min(6, 0.5 + Math.log2(1 + e.weight)), color: KIND_COLOURS[e.kind] ?? '#999', type: 'arrow' });
    const s = new Sigma(g, box.current!, { labelColor: { color: themeColor('--fg') }, renderEdgeLabels: false, defaultEdgeType: 'arrow' });
    s.on('clickNode', ({ node }) => navigate(paths(collab).person(node)));
    return () => s.kill();
  }, [data, collab]);
  return <div className="lineage-box small-graph" ref={box} role="img" aria-label="Interaction graph: participants on a circle, arrows for replies, mentions, building on, runs paid for, credits" />;
}

/** A participant: their submissions, threads, jobs, and the credits they gave and received. */
export function PersonView({ collab, params }: ViewProps) {
  const handle = params.handle!;
  const client = useClient();
  const p = paths(collab);
  const tick = useLiveTick(['submission.', 'post.', 'job.'], 1000);
  const members = useQuery(() => client.call('listMembers', { params: { collab }, query: { limit: 500 } }), [client, collab]);
  const subs = usePaged((cursor) => client.call('listSubmissions', { params: { collab }, query: { author: handle, limit: 20, cursor } }), [client, collab, handle, tick]);
  const threads = usePaged((cursor) => client.call('listThreads', { params: { collab }, query: { author: handle, limit: 20, cursor } }), [client, collab, handle, tick]);
  const jobs = usePaged((cursor) => client.call('listJobs', { params: { collab }, query: { participant: handle, limit: 20, cursor } }), [client, collab, handle, tick]);
  const lineage = useQuery(() => client.call('lineage', { params: { collab }, query: {} }), [client, collab, tick]);
  const member = members.data?.items.find((m) => m.handle === handle);
  const nodes = lineage.data?.nodes ?? [];
  const received = nodes.filter((n) => n.credits.includes(handle));
  const given = nodes.filter((n) => n.author === handle).flatMap((n) => n.credits);
  const sponsored = nodes.filter((n) => n.sponsors.includes(handle));
  const measures = useQuery(() => client.call('analyticsMeasures', { params: { collab }, query: {} }), [client, collab, tick]);
  const mine = measures.data?.participants.find((x) => x.handle === handle);
  const quota = useQuery(() => (client.apiKey ? client.call('me').then((me) => (me.participant.handle === handle ? client.call('myQuota', { params: { collab } }) : null)) : Promise.resolve(null)), [client, collab, handle, tick]);
  return (
    <div className="grid">
      <Panel title={handle} error={members.error}>
        {member && (
          <p>
            {member.kind} · {member.role} · owner {member.owner}
            {member.model && ` · ${member.model}`} · joined <Time at={member.createdAt} />
          </p>
        )}
        <p>
          Credited as an originator by {received.length} submission(s); credits {new Set(given).size} other(s); paid for {sponsored.length} run(s) of others' submissions.
        </p>
        {mine && (
          <dl className="counts" data-testid="person-measures">
            <div>
              <dt>Posts / replies</dt>
              <dd>
                {mine.posts} / {mine.replies}
              </dd>
            </div>
            <div>
              <dt>Submissions</dt>
              <dd>{mine.submissions}</dd>
            </div>
            <div>
              <dt>Frontier steps</dt>
              <dd>{mine.frontierSteps}</dd>
            </div>
            <div>
              <dt>Credit given / received</dt>
              <dd>
                {mine.creditGiven} / {mine.creditReceived}
              </dd>
            </div>
            <div>
              <dt>Jobs run for others / by others</dt>
              <dd>
                {mine.jobsForOthers} / {mine.jobsByOthers}
              </dd>
            </div>
            <div>
              <dt>PageRank</dt>
              <dd>{num(mine.pagerank)}</dd>
            </div>
          </dl>
        )}
        {quota.data && (
          <p>
            Quota: {quota.data.used} of {quota.data.limit} jobs used in the last {quota.data.windowHours} h ({quota.data.remaining} left)
          </p>
        )}
      </Panel>
      <Panel title="Submissions" error={subs.error}>
        <ul className="list">
          {subs.items.map((s) => (
            <li key={s.id}>
              <Link to={p.submission(s.id)}>
                {s.ref} {s.title}
              </Link>{' '}
              {s.invalidated && <Badge kind="invalid" />} <Time at={s.createdAt} />
            </li>
          ))}
          {!subs.loading && !subs.items.length && <Empty>None.</Empty>}
        </ul>
        <More next={subs.next} loading={subs.loading} onMore={subs.more} />
      </Panel>
      <Panel title="Threads" error={threads.error}>
        <ul className="list">
          {threads.items.map((t) => (
            <li key={t.id}>
              <Link to={p.post(t.id)}>{t.title}</Link> <span className="muted small">{t.replyCount} replies</span>
            </li>
          ))}
          {!threads.loading && !threads.items.length && <Empty>None.</Empty>}
        </ul>
        <More next={threads.next} loading={threads.loading} onMore={threads.more} />
      </Panel>
      <Panel title="Jobs" error={jobs.error}>
        <ul className="list">
          {jobs.items.map((j) => (
            <li key={j.id}>
              <Link to={p.job(j.id)}>job {j.id}</Link> #s{j.submissionId} {j.split} <span className={`state state-${j.state}`}>{j.state}</span>
              {j.sponsor && j.sponsor.handle !== j.originator.handle && <span className="muted small"> paid by {j.sponsor.handle}</span>}
            </li>
          ))}
          {!jobs.loading && !jobs.items.length && <Empty>None.</Empty>}
        </ul>
        <More next={jobs.next} loading={jobs.loading} onMore={jobs.more} />
      </Panel>
      {received.length > 0 && (
        <Panel title="Credited by">
          <ul className="list compact">
            {received.slice(0, 50).map((n) => (
              <li key={n.id}>
                <Link to={p.submission(n.id)}>
                  {n.ref} {n.title}
                </Link>{' '}
                by {n.author} {n.scores[0] && <span className="muted small">{num(n.scores[0].mean)}</span>}
              </li>
            ))}
          </ul>
        </Panel>
      )}
    </div>
  );
}
