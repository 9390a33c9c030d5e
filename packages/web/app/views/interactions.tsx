import type { LineageNode } from '@agora/core';
import { useMemo } from 'react';
import type { ViewProps } from '../app.tsx';
import { useClient } from '../api.ts';
import { usePaged, useQuery } from '../data.ts';
import { num } from '../format.ts';
import { useLiveTick } from '../live.tsx';
import { paths } from '../paths.ts';
import { Link, setQuery, useLocation } from '../router.tsx';
import { Badge, Empty, More, Panel, Tag, Time } from '../components/ui.tsx';

/** Who builds on and credits whom, from the lineage: an edge per (from, to, kind), weighted, over a time window. */
function edgesOf(nodes: LineageNode[], until: number) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const edges = new Map<string, { from: string; to: string; kind: 'builds-on' | 'credited' | 'ran-for'; weight: number }>();
  const add = (from: string, to: string, kind: 'builds-on' | 'credited' | 'ran-for') => {
    if (from === to) return;
    const k = `${from} ${to} ${kind}`;
    const e = edges.get(k) ?? { from, to, kind, weight: 0 };
    e.weight++;
    edges.set(k, e);
  };
  for (const n of nodes) {
    if (Date.parse(n.createdAt) > until) continue;
    for (const p of n.parents) {
      const parent = byId.get(p);
      if (parent) add(n.author, parent.author, 'builds-on');
    }
    for (const c of n.credits) add(n.author, c, 'credited');
    for (const s of n.sponsors) add(s, n.author, 'ran-for');
  }
  return [...edges.values()].sort((a, b) => b.weight - a.weight);
}

/**
 * Interactions: building on, crediting and paying for each other's runs, as a weighted edge
 * list over a time window (the slider), and who gives and receives the most.
 */
export function InteractionsView({ collab }: ViewProps) {
  const client = useClient();
  const p = paths(collab);
  const { search } = useLocation();
  const tick = useLiveTick(['submission.', 'job.succeeded'], 2000);
  const lineage = useQuery(() => client.call('lineage', { params: { collab }, query: {} }), [client, collab, tick]);
  const nodes = lineage.data?.nodes ?? [];
  const times = nodes.map((n) => Date.parse(n.createdAt));
  const first = times.length ? Math.min(...times) : 0;
  const last = times.length ? Math.max(...times) : 0;
  const pct = Number(search.get('until') ?? '100');
  const until = first + ((last - first) * pct) / 100;
  const edges = useMemo(() => edgesOf(nodes, until), [nodes, until]);
  const people = useMemo(() => {
    const m = new Map<string, { given: number; received: number; builtOn: number; submissions: number }>();
    const get = (h: string) => m.get(h) ?? (m.set(h, { given: 0, received: 0, builtOn: 0, submissions: 0 }), m.get(h)!);
    for (const n of nodes) if (Date.parse(n.createdAt) <= until) get(n.author).submissions++;
    for (const e of edges) {
      if (e.kind === 'credited') {
        get(e.from).given += e.weight;
        get(e.to).received += e.weight;
      }
      if (e.kind === 'builds-on') get(e.to).builtOn += e.weight;
    }
    return [...m.entries()].sort((a, b) => b[1].received + b[1].builtOn - (a[1].received + a[1].builtOn));
  }, [nodes, edges, until]);
  return (
    <div className="grid">
      <Panel title="Interactions" loading={lineage.loading && !lineage.data} error={lineage.error}>
        <label>
          Up to {times.length ? new Date(until).toLocaleString() : '…'}
          <input type="range" min={0} max={100} value={pct} onChange={(e) => setQuery('until', e.target.value === '100' ? null : e.target.value)} aria-label="Time window end" />
        </label>
        <p className="muted small">{edges.length} links between participants: builds on (a submission's parent is theirs), credited (named as an originator), ran for (paid for their run).</p>
        <div className="table-wrap">
          <table data-testid="interaction-edges">
            <thead>
              <tr>
                <th scope="col">From</th>
                <th scope="col">Kind</th>
                <th scope="col">To</th>
                <th scope="col">Times</th>
              </tr>
            </thead>
            <tbody>
              {edges.slice(0, 60).map((e) => (
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
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        {lineage.data && !edges.length && <Empty>No interactions yet.</Empty>}
      </Panel>
      <Panel title="Participants">
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Participant</th>
                <th scope="col">Submissions</th>
                <th scope="col">Built on by others</th>
                <th scope="col">Credits received</th>
                <th scope="col">Credits given</th>
              </tr>
            </thead>
            <tbody>
              {people.slice(0, 100).map(([h, x]) => (
                <tr key={h}>
                  <td>
                    <Link to={p.person(h)}>{h}</Link>
                  </td>
                  <td className="num">{x.submissions}</td>
                  <td className="num">{x.builtOn}</td>
                  <td className="num">{x.received}</td>
                  <td className="num">{x.given}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Panel>
    </div>
  );
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
