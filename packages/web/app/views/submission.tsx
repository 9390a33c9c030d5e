import type { ViewProps } from '../app.tsx';
import { useClient } from '../api.ts';
import { useQuery } from '../data.ts';
import { interval, num } from '../format.ts';
import { useLiveTick } from '../live.tsx';
import { Markdown } from '../markdown.tsx';
import { paths } from '../paths.ts';
import { Link } from '../router.tsx';
import { UnifiedDiff } from '../components/diff.tsx';
import { Badge, Empty, Panel, Tag, Time } from '../components/ui.tsx';
import { FlagForm } from './flag-form.tsx';

/**
 * One submission: what it is, every job's samples and guardrails, the pooled interval per split
 * and hardware class, the diff against each parent, flags and rulings, and its lineage. Logs of
 * private-split jobs are never shown here (they could quote private data).
 */
export function SubmissionView({ collab, params }: ViewProps) {
  const id = Number(params.id);
  const client = useClient();
  const p = paths(collab);
  const tick = useLiveTick(['job.', 'submission.', 'ruling.']);
  const sub = useQuery(() => client.call('getSubmission', { params: { collab, id } }), [client, collab, id, tick]);
  const results = useQuery(() => client.call('submissionResults', { params: { collab, id }, query: { limit: 50 } }), [client, collab, id, tick]);
  const diff = useQuery(() => client.call('diffSubmission', { params: { collab, id }, query: {} }), [client, collab, id]);
  const lineage = useQuery(() => client.call('lineage', { params: { collab }, query: { of: String(id) } }), [client, collab, id, tick]);
  const rulings = useQuery(() => client.call('listRulings', { params: { collab }, query: { submission: String(id) } }), [client, collab, id, tick]);
  const flags = useQuery(() => (client.apiKey ? client.call('listFlags', { params: { collab }, query: { submission: id } }) : Promise.resolve(null)), [client, collab, id, tick]);
  const s = sub.data;
  const node = lineage.data?.nodes.find((n) => n.id === id);
  return (
    <div className="grid submission">
      <Panel title={s ? `${s.ref} ${s.title}` : `#s${id}`} loading={sub.loading} error={sub.error}>
        {s && (
          <>
            <p>
              by <Link to={p.person(s.author)}>{s.author}</Link>, <Time at={s.createdAt} />
              {node?.badges.map((b) => (
                <Badge key={b} kind={b} />
              ))}
              {s.staged && <Tag name="staged" />}
            </p>
            {node?.standing.invalidatedBy && (
              <p className="warn">
                Invalidated by a ruling: <Link to={p.post(node.standing.invalidatedBy.postId)}>read the ruling</Link>
              </p>
            )}
            {node?.standing.withdrawn && <p className="warn">Withdrawn by its author{node.standing.withdrawn.reason ? `: ${node.standing.withdrawn.reason}` : ''}.</p>}
            {s.duplicateOf && (
              <p className="muted">
                Same fingerprint as <Link to={p.submission(s.duplicateOf)}>#s{s.duplicateOf}</Link>: its jobs pool there.
              </p>
            )}
            <p>
              {s.levers.map((l) => (
                <Tag key={l} name={l} to={`${p.leaderboard}?lever=${encodeURIComponent(l)}`} />
              ))}
            </p>
            {s.credits.length > 0 && (
              <p>
                Credits:{' '}
                {s.credits.map((c, i) => (
                  <span key={c.handle}>
                    {i > 0 && ', '}
                    <Link to={p.person(c.handle)}>{c.handle}</Link>
                    {c.note && <span className="muted"> ({c.note})</span>}
                  </span>
                ))}
              </p>
            )}
            {s.description && <Markdown text={s.description} collab={collab} />}
            <p className="muted small">
              {s.fileCount} files, {s.totalBytes} bytes, fingerprint <code>{s.fingerprint.slice(0, 12)}</code>
            </p>
          </>
        )}
      </Panel>
      <Panel title="Scores" loading={results.loading} error={results.error}>
        {results.data && (
          <>
            {results.data.pools.length ? (
              <div className="table-wrap">
              <table className="pools">
                <thead>
                  <tr>
                    <th scope="col">Split</th>
                    <th scope="col">Hardware</th>
                    <th scope="col">Mean</th>
                    <th scope="col">Interval</th>
                    <th scope="col">Jobs / n</th>
                    <th scope="col">Guardrails</th>
                  </tr>
                </thead>
                <tbody>
                  {results.data.pools.map((pool) => (
                    <tr key={`${pool.split}-${pool.hardwareClass}`}>
                      <td>{pool.split}</td>
                      <td>{pool.hardwareClass}</td>
                      <td className="num">{num(pool.mean)}</td>
                      <td className="num">{interval(pool.ciLow, pool.ciHigh) || '–'}</td>
                      <td className="num">
                        {pool.jobs} / {pool.n}
                      </td>
                      <td>{pool.guardrailsPassed ? 'passed' : <Badge kind="guardrail-failed" />}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              </div>
            ) : (
              <Empty>No scored job yet.</Empty>
            )}
            <h3>Jobs</h3>
            <ul className="jobs" data-testid="jobs">
              {results.data.items.map((j) => (
                <li key={j.id} data-state={j.state}>
                  <Link to={p.job(j.id)}>job {j.id}</Link> <span className={`state state-${j.state}`}>{j.state.replace('_', ' ')}</span> {j.split}
                  {j.visibility === 'private' && <span className="muted"> (private: no samples or logs)</span>}
                  {j.reason && <span className="muted"> — {j.reason}</span>}
                  {j.result && (
                    <div className="samples">
                      samples: {j.result.metric.samples.map((x) => num(x)).join(', ')} {j.result.metric.unit}
                      {j.result.guardrails.map((g, i) => (
                        <span key={i} className={g.passed ? 'ok' : 'bad'}>
                          {' '}
                          · {String(g.name)} {num(g.value as number)} {String(g.op)} {String(g.threshold)} {g.passed ? '✓' : '✗'}
                        </span>
                      ))}
                    </div>
                  )}
                </li>
              ))}
              {!results.data.items.length && <Empty>No jobs.</Empty>}
            </ul>
          </>
        )}
      </Panel>
      <Panel title="Changes against each parent" loading={diff.loading} error={diff.error}>
        {diff.data?.items.map((d) => (
          <details key={d.against} open={diff.data!.items.length === 1}>
            <summary>
              against <Link to={p.submission(d.against)}>#s{d.against}</Link>: {d.added} added, {d.removed} removed, {d.modified} modified, {d.renamed} renamed, {d.unchanged} unchanged
            </summary>
            {d.files.map((f) => (
              <div key={f.path} className="file-diff">
                <h4>
                  {f.status} {f.oldPath && f.oldPath !== f.path ? `${f.oldPath} → ` : ''}
                  {f.path} <span className="muted small">+{f.added} −{f.removed}</span>
                </h4>
                {f.unified ? <UnifiedDiff text={f.unified} /> : <p className="muted small">{f.binary ? 'binary file' : f.truncated ? 'too large to show' : 'no text change'}</p>}
              </div>
            ))}
          </details>
        ))}
        {diff.data && !diff.data.items.length && <Empty>No parents: a first submission.</Empty>}
      </Panel>
      <Panel title="Flags and rulings" error={rulings.error ?? flags.error}>
        <ul className="list">
          {rulings.data?.items.map((r) => (
            <li key={r.id}>
              Ruling ({r.kind}) by {r.organizer}: <Link to={p.post(r.postId)}>{r.title}</Link> <Time at={r.createdAt} />
            </li>
          ))}
          {flags.data?.items.map((f) => (
            <li key={f.id}>
              Flag {f.ref} ({f.category}) by {f.reporter}: {f.state}
            </li>
          ))}
        </ul>
        {rulings.data && !rulings.data.items.length && !flags.data?.items.length && <Empty>No rulings.</Empty>}
        {client.apiKey && <FlagForm collab={collab} target={{ submission: id }} />}
      </Panel>
      <Panel title="Lineage" loading={lineage.loading} error={lineage.error}>
        {lineage.data && s && (
          <div className="lineage-list">
            <p>
              Parents:{' '}
              {s.parents.length
                ? s.parents.map((x) => (
                    <Link key={x} to={p.submission(x)}>
                      #s{x}{' '}
                    </Link>
                  ))
                : 'none'}
            </p>
            <p>
              Children:{' '}
              {s.children.length
                ? s.children.map((x) => (
                    <Link key={x} to={p.submission(x)}>
                      #s{x}{' '}
                    </Link>
                  ))
                : 'none'}
            </p>
            <p className="muted small">
              {lineage.data.nodes.length - 1} related submissions (ancestors and descendants).{' '}
              <Link to={`${p.lineage}?focus=${id}`}>Show in the lineage tree</Link>
            </p>
          </div>
        )}
      </Panel>
    </div>
  );
}
