import { useMemo } from 'react';
import type uPlot from 'uplot';
import type { ViewProps } from '../app.tsx';
import { useClient } from '../api.ts';
import { useQuery } from '../data.ts';
import { num } from '../format.ts';
import { useLiveTick } from '../live.tsx';
import { paths } from '../paths.ts';
import { Link, navigate, setQuery, useLocation } from '../router.tsx';
import { Plot, themeColor } from '../components/plot.tsx';
import { Empty, Panel } from '../components/ui.tsx';

type Point = { submissionId: number; title: string; author: string; hardwareClass: string; metric: number; guardrail: number; guardrailPassed: boolean; onFrontier: boolean };

/** The primary metric against each guardrail metric, the Pareto front drawn through its points. */
export function FrontierView({ collab }: ViewProps) {
  const client = useClient();
  const { search } = useLocation();
  const hardware = search.get('hardware') ?? '';
  const tick = useLiveTick(['job.', 'ruling.', 'submission.']);
  const q = useQuery(() => client.call('frontier', { params: { collab }, query: hardware ? { hardware } : {} }), [client, collab, hardware, tick]);
  const classes = useMemo(() => [...new Set(q.data?.fronts.flatMap((f) => f.points.map((x) => x.hardwareClass)) ?? [])], [q.data]);
  return (
    <div className="grid">
      <Panel title="Frontier" loading={q.loading} error={q.error}>
        <form className="filters" onSubmit={(e) => e.preventDefault()}>
          <label>
            Hardware
            <select value={hardware} onChange={(e) => setQuery('hardware', e.target.value)}>
              <option value="">all classes</option>
              {classes.map((h) => (
                <option key={h}>{h}</option>
              ))}
            </select>
          </label>
        </form>
        {q.data && !q.data.fronts.length && <Empty>The challenge has no guardrail metric to trade against.</Empty>}
      </Panel>
      {q.data?.fronts.map((f) => (
        <Panel key={f.guardrail.name} title={`${q.data!.metric.name} against ${f.guardrail.name}`}>
          <p className="muted small">
            Better is {q.data!.metric.direction === 'maximize' ? 'higher' : 'lower'} {q.data!.metric.name} and {f.guardrail.op === '<=' ? 'lower' : 'higher'} {f.guardrail.name} (threshold {f.guardrail.op} {f.guardrail.threshold}). Front: filled, failed guardrail: red.
          </p>
          {f.points.length ? <Scatter collab={collab} points={f.points} xLabel={f.guardrail.name} yLabel={`${q.data!.metric.name} (${q.data!.metric.unit})`} /> : <Empty>No ranked entries yet.</Empty>}
        </Panel>
      ))}
    </div>
  );
}

function Scatter({ collab, points, xLabel, yLabel }: { collab: string; points: Point[]; xLabel: string; yLabel: string }) {
  const p = paths(collab);
  const sorted = useMemo(() => [...points].sort((a, b) => a.guardrail - b.guardrail), [points]);
  const data = useMemo<uPlot.AlignedData>(
    () => [sorted.map((x) => x.guardrail), sorted.map((x) => (x.guardrailPassed && !x.onFrontier ? x.metric : null)), sorted.map((x) => (!x.guardrailPassed ? x.metric : null)), sorted.map((x) => (x.onFrontier ? x.metric : null))],
    [sorted],
  );
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      mode: 1,
      scales: { x: { time: false } },
      axes: [
        { stroke: themeColor('--fg-muted'), grid: { stroke: themeColor('--grid') }, label: xLabel },
        { stroke: themeColor('--fg-muted'), grid: { stroke: themeColor('--grid') }, label: yLabel },
      ],
      series: [
        {},
        { label: 'entries', stroke: themeColor('--fg-muted'), paths: () => null, points: { show: true, size: 6 } },
        { label: 'guardrail failed', stroke: themeColor('--bad'), paths: () => null, points: { show: true, size: 6 } },
        { label: 'Pareto front', stroke: themeColor('--accent'), width: 2, spanGaps: true, points: { show: true, size: 9, fill: themeColor('--accent') } },
      ],
      cursor: { dataIdx: (_u, _s, i) => i },
    }),
    [xLabel, yLabel],
  );
  return (
    <>
      <Plot label={`Scatter of ${yLabel} against ${xLabel}; the Pareto front is highlighted`} options={options} data={data} onPick={(i) => navigate(p.submission(sorted[i]!.submissionId))} />
      <ul className="list compact">
        {sorted
          .filter((x) => x.onFrontier)
          .map((x) => (
            <li key={`${x.submissionId}-${x.hardwareClass}`}>
              on the front: <Link to={p.submission(x.submissionId)}>#s{x.submissionId} {x.title}</Link> by {x.author}: {num(x.metric)} at {xLabel} {num(x.guardrail)} ({x.hardwareClass})
            </li>
          ))}
      </ul>
    </>
  );
}
