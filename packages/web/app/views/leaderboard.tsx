import { useMemo } from 'react';
import type { ViewProps } from '../app.tsx';
import { useClient } from '../api.ts';
import { useQuery } from '../data.ts';
import { interval, num } from '../format.ts';
import { useLiveTick } from '../live.tsx';
import { paths } from '../paths.ts';
import { Link, setQuery, useLocation } from '../router.tsx';
import { Badge, Empty, Panel, Tag } from '../components/ui.tsx';
import { Pages } from '../components/pages.tsx';

const BADGES = ['verified', 'diverged', 'guardrail-failed', 'invalid', 'withdrawn'] as const;

/**
 * Ranks and tiers as the server computed them (intervals, not best runs), joined with the lineage
 * for badges, levers, originators and sponsors. Invalid and withdrawn submissions are not on the
 * leaderboard: with that badge filter, they are listed from the lineage, unranked.
 */
export function LeaderboardView({ collab }: ViewProps) {
  const client = useClient();
  const p = paths(collab);
  const { search } = useLocation();
  const hardware = search.get('hardware') ?? '';
  const badge = search.get('badge') ?? '';
  const lever = search.get('lever') ?? '';
  const who = search.get('who') ?? '';
  const page = Number(search.get('page') ?? '1') || 1;
  const tick = useLiveTick(['job.', 'submission.', 'ruling.']);
  const board = useQuery(() => client.call('leaderboard', { params: { collab }, query: hardware ? { hardware } : {} }), [client, collab, hardware, tick]);
  const lineage = useQuery(() => client.call('lineage', { params: { collab }, query: {} }), [client, collab, tick]);
  const nodes = useMemo(() => new Map((lineage.data?.nodes ?? []).map((n) => [n.id, n])), [lineage.data]);
  const rows = useMemo(() => {
    const items = board.data?.items ?? [];
    const base = items.map((e) => ({ e, node: nodes.get(e.submissionId) }));
    const out = base.filter(({ e, node }) => {
      if (badge && !(node?.badges ?? (e.guardrailsPassed ? [] : ['guardrail-failed'])).includes(badge as never)) return false;
      if (lever && !node?.levers.includes(lever)) return false;
      if (who && ![e.author.handle, ...(node?.credits ?? []), ...e.sponsors.map((s) => s.handle)].some((h) => h.includes(who.toLowerCase()))) return false;
      return true;
    });
    return out;
  }, [board.data, nodes, badge, lever, who]);
  const outOfRanking = useMemo(
    () => (badge === 'invalid' || badge === 'withdrawn' ? (lineage.data?.nodes ?? []).filter((n) => n.badges.includes(badge)) : []),
    [lineage.data, badge],
  );
  const levers = useMemo(() => [...new Set((lineage.data?.nodes ?? []).flatMap((n) => n.levers))].sort(), [lineage.data]);
  const PAGE = 50;
  const shown = rows.slice((page - 1) * PAGE, page * PAGE);
  const lb = board.data;
  return (
    <Panel title="Leaderboard" loading={board.loading} error={board.error ?? lineage.error}>
      <form className="filters" onSubmit={(e) => e.preventDefault()} aria-label="Filters">
        <label>
          Hardware
          <select value={hardware} onChange={(e) => setQuery('hardware', e.target.value)}>
            <option value="">all classes</option>
            {lb?.hardwareClasses.map((h) => (
              <option key={h}>{h}</option>
            ))}
          </select>
        </label>
        <label>
          Badge
          <select value={badge} onChange={(e) => setQuery('badge', e.target.value)}>
            <option value="">any</option>
            {BADGES.map((b) => (
              <option key={b}>{b}</option>
            ))}
          </select>
        </label>
        <label>
          Lever
          <select value={lever} onChange={(e) => setQuery('lever', e.target.value)}>
            <option value="">any</option>
            {levers.map((l) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label>
          Participant
          <input type="search" value={who} placeholder="handle" onChange={(e) => setQuery('who', e.target.value)} />
        </label>
      </form>
      {lb && (
        <p className="muted small">
          {lb.metric.name} ({lb.metric.unit}, {lb.metric.direction}); {Math.round(lb.confidence * 100)}% intervals on the {lb.ranking.scale} scale; ranked with at least {lb.ranking.minJobs} jobs and {lb.ranking.minSamples} samples. {lb.ranking.rule}
        </p>
      )}
      {lb && (
        <div className="table-wrap">
          <table className="leaderboard" data-testid="leaderboard">
            <thead>
              <tr>
                <th scope="col">Rank</th>
                <th scope="col">Tier</th>
                <th scope="col">Submission</th>
                <th scope="col">Score</th>
                <th scope="col">× baseline</th>
                <th scope="col">Author · originators · sponsors</th>
                <th scope="col">Levers</th>
                <th scope="col">Hardware</th>
                <th scope="col">Jobs / n</th>
              </tr>
            </thead>
            <tbody>
              {shown.map(({ e, node }) => (
                <tr key={`${e.submissionId}-${e.hardwareClass}`} className={e.rank === null ? 'unranked' : undefined}>
                  <td>{e.rank ?? '–'}</td>
                  <td>{e.tier ? <span className={`tier tier-${Math.min(e.tier, 5)}`}>T{e.tier}</span> : <span className="muted small">{e.unranked?.replaceAll('_', ' ')}</span>}</td>
                  <td>
                    <Link to={p.submission(e.submissionId)}>
                      #s{e.submissionId} {e.title}
                    </Link>{' '}
                    {(node?.badges ?? []).map((b) => (
                      <Badge key={b} kind={b} />
                    ))}
                    {!node && !e.guardrailsPassed && <Badge kind="guardrail-failed" />}
                  </td>
                  <td className="num">
                    {num(e.center)} <span className="muted small">{interval(e.ciLow, e.ciHigh)}</span>
                  </td>
                  <td className="num">{e.baselineRatio ? `${num(e.baselineRatio.estimate)}×` : '–'}</td>
                  <td>
                    <Link to={p.person(e.author.handle)}>{e.author.handle}</Link>
                    {node?.credits.length ? <span className="muted"> · ideas: {node.credits.join(', ')}</span> : null}
                    {e.sponsors.length ? <span className="muted"> · paid by {e.sponsors.map((s) => s.handle).join(', ')}</span> : null}
                  </td>
                  <td>
                    {node?.levers.map((l) => (
                      <Tag key={l} name={l} />
                    ))}
                  </td>
                  <td>{e.hardwareClass}</td>
                  <td className="num">
                    {e.jobs} / {e.n}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {lb && !rows.length && <Empty>No entries{badge || lever || who ? ' match the filters' : ' yet: the first scored job puts one here'}.</Empty>}
      <Pages page={page} pages={Math.ceil(rows.length / PAGE)} />
      {outOfRanking.length > 0 && (
        <>
          <h3>Out of the ranking ({badge})</h3>
          <ul className="list">
            {outOfRanking.map((n) => (
              <li key={n.id}>
                <Link to={p.submission(n.id)}>
                  {n.ref} {n.title}
                </Link>{' '}
                by {n.author} <Badge kind={badge} />
                {n.standing.invalidatedBy && (
                  <>
                    {' '}
                    <Link to={p.post(n.standing.invalidatedBy.postId)}>ruling</Link>
                  </>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      {lb?.noiseFloor.length ? (
        <p className="muted small">
          Noise floor:{' '}
          {lb.noiseFloor.map((f) => `${f.hardwareClass}: one sample ±${num((f.relativeSampleSd ?? 0) * 100, 2)}%, smallest detectable difference ${f.minimumDetectable === null ? '–' : `${num(f.minimumDetectable * 100, 2)}%`}`).join('; ')}
        </p>
      ) : null}
    </Panel>
  );
}
