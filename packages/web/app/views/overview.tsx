import { useMemo } from 'react';
import type uPlot from 'uplot';
import type { ViewProps } from '../app.tsx';
import { useClient } from '../api.ts';
import { useQuery } from '../data.ts';
import { describeEvent } from '../events.ts';
import { num } from '../format.ts';
import { useLiveFeed, useLiveTick } from '../live.tsx';
import { Markdown } from '../markdown.tsx';
import { paths } from '../paths.ts';
import { Link, navigate } from '../router.tsx';
import { Plot, themeColor } from '../components/plot.tsx';
import { Empty, Panel, Time } from '../components/ui.tsx';

/** The goal, the best verified result and its speed-up, progress over time, activity, counts, queue. */
export function Overview({ collab }: ViewProps) {
  const client = useClient();
  const p = paths(collab);
  const jobsTick = useLiveTick(['job.', 'submission.', 'ruling.']);
  const detail = useQuery(() => client.call('getCollaboration', { params: { collab } }), [client, collab]);
  const progress = useQuery(() => client.call('progress', { params: { collab }, query: {} }), [client, collab, jobsTick]);
  const board = useQuery(() => client.call('leaderboard', { params: { collab }, query: {} }), [client, collab, jobsTick]);
  const challenge = detail.data?.challenge as { title?: string; metric?: { name: string; unit: string; direction: string }; guardrails?: Array<{ name: string; op: string; threshold: number }> } | undefined;
  const best = progress.data?.steps.at(-1);
  const bestEntry = best ? board.data?.items.find((e) => e.submissionId === best.submissionId && e.hardwareClass === best.hardwareClass) : undefined;
  const topRanked = board.data?.items.find((e) => e.rank === 1);
  return (
    <div className="grid overview">
      <Panel title="Goal" loading={detail.loading} error={detail.error}>
        {detail.data && (
          <>
            <p className="goal">
              <strong>{challenge?.title ?? detail.data.title}</strong>
              {challenge?.metric && (
                <>
                  {' '}
                  — {challenge.metric.direction} <em>{challenge.metric.name}</em> ({challenge.metric.unit})
                </>
              )}
            </p>
            {challenge?.guardrails?.length ? (
              <p className="muted">
                Guardrails: {challenge.guardrails.map((g) => `${g.name} ${g.op} ${g.threshold}`).join(', ')}
              </p>
            ) : null}
            <details>
              <summary>Rules</summary>
              <Markdown text={detail.data.rules} collab={collab} />
            </details>
          </>
        )}
      </Panel>
      <Panel title="Best verified result" loading={progress.loading} error={progress.error}>
        {best ? (
          <div className="best" data-testid="best-result">
            <div className="big">
              {num(best.mean)} <span className="unit">{progress.data?.metric.unit}</span>
            </div>
            {bestEntry?.baselineRatio && <div className="speedup">{num(bestEntry.baselineRatio.estimate)}× the baseline</div>}
            <div>
              <Link to={p.submission(best.submissionId)}>
                {best.ref} {best.title}
              </Link>{' '}
              by <Link to={p.person(best.author)}>{best.author}</Link> on {best.hardwareClass}, verified <Time at={best.at} />
            </div>
          </div>
        ) : (
          progress.data && (
            <Empty>
              No verified result yet.
              {topRanked && (
                <>
                  {' '}
                  Best public: <Link to={p.submission(topRanked.submissionId)}>#s{topRanked.submissionId} {topRanked.title}</Link> at {num(topRanked.mean)}
                  {topRanked.baselineRatio && ` (${num(topRanked.baselineRatio.estimate)}× the baseline)`}.
                </>
              )}
            </Empty>
          )
        )}
      </Panel>
      <Panel title="Best result over time" loading={progress.loading} error={progress.error} id="progress">
        {progress.data && progress.data.steps.length > 0 ? <ProgressChart collab={collab} steps={progress.data.steps} unit={progress.data.metric.unit} /> : progress.data && <Empty>The chart starts with the first verified result.</Empty>}
      </Panel>
      <Counts collab={collab} tick={jobsTick} />
      <Activity collab={collab} />
    </div>
  );
}

type Step = { at: string; submissionId: number; ref: string; title: string; mean: number; author: string };

function ProgressChart({ collab, steps, unit }: { collab: string; steps: Step[]; unit: string }) {
  const p = paths(collab);
  const data = useMemo<uPlot.AlignedData>(() => [steps.map((s) => Date.parse(s.at) / 1000), steps.map((s) => s.mean)], [steps]);
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      scales: { x: { time: true } },
      axes: [{ stroke: themeColor('--fg-muted'), grid: { stroke: themeColor('--grid') } }, { stroke: themeColor('--fg-muted'), grid: { stroke: themeColor('--grid') }, label: unit }],
      series: [{}, { label: 'best', stroke: themeColor('--accent'), width: 2, points: { show: true, size: 8 }, paths: (u, si, i0, i1) => stepped(u, si, i0, i1) }],
      legend: { show: false },
    }),
    [unit],
  );
  return (
    <>
      <Plot label="Best verified result over time; each point is a submission" options={options} data={data} onPick={(i) => navigate(p.submission(steps[i]!.submissionId))} />
      <ol className="steps">
        {steps.map((s) => (
          <li key={s.submissionId}>
            <Link to={p.submission(s.submissionId)}>
              {s.ref} {s.title}
            </Link>{' '}
            {num(s.mean)} by {s.author}, <Time at={s.at} />
          </li>
        ))}
      </ol>
    </>
  );
}

/** A step line: the best stays until the next improvement. */
function stepped(u: uPlot, si: number, i0: number, i1: number) {
  const xs = u.data[0]!;
  const ys = u.data[si]!;
  const path = new Path2D();
  for (let i = i0; i <= i1; i++) {
    const x = u.valToPos(xs[i]!, 'x', true);
    const y = u.valToPos(ys[i] as number, 'y', true);
    if (i === i0) path.moveTo(x, y);
    else {
      path.lineTo(x, u.valToPos(ys[i - 1] as number, 'y', true));
      path.lineTo(x, y);
    }
  }
  return { stroke: path, fill: undefined, clip: undefined, flags: 0 } as unknown as uPlot.Series.Paths;
}

function Counts({ collab, tick }: { collab: string; tick: number }) {
  const client = useClient();
  const lineage = useQuery(() => client.call('lineage', { params: { collab }, query: {} }), [client, collab, tick]);
  const members = useQuery(() => client.call('listMembers', { params: { collab } }), [client, collab]);
  const queued = useQuery(() => client.call('listJobs', { params: { collab }, query: { state: 'queued', limit: 200 } }), [client, collab, tick]);
  const running = useQuery(() => client.call('listJobs', { params: { collab }, query: { state: 'running', limit: 200 } }), [client, collab, tick]);
  const count = (q: { data?: { items: unknown[]; nextCursor: string | null } | undefined }) => (q.data ? `${q.data.items.length}${q.data.nextCursor ? '+' : ''}` : '…');
  const nodes = lineage.data?.nodes ?? [];
  const agents = members.data?.items.filter((m) => m.kind === 'agent').length;
  const overdue = queued.data?.items.filter((j) => j.overdueAt).length ?? 0;
  return (
    <Panel title="Counts and queue" error={lineage.error ?? members.error ?? queued.error}>
      <dl className="counts" data-testid="counts">
        <div>
          <dt>Submissions</dt>
          <dd>{lineage.data ? nodes.length : '…'}</dd>
        </div>
        <div>
          <dt>Invalid</dt>
          <dd>{lineage.data ? nodes.filter((n) => n.standing.state === 'invalid').length : '…'}</dd>
        </div>
        <div>
          <dt>Members</dt>
          <dd>{members.data ? members.data.items.length : '…'}</dd>
        </div>
        <div>
          <dt>Agents</dt>
          <dd>{agents ?? '…'}</dd>
        </div>
        <div>
          <dt>Jobs queued</dt>
          <dd data-testid="queued">{count(queued)}</dd>
        </div>
        <div>
          <dt>Jobs running</dt>
          <dd data-testid="running">{count(running)}</dd>
        </div>
      </dl>
      {overdue > 0 && <p className="warn">{overdue} queued job(s) overdue: {queued.data?.items.find((j) => j.overdueAt)?.reason}</p>}
      {running.data && running.data.items.length > 0 && (
        <ul className="list compact">
          {running.data.items.slice(0, 5).map((j) => (
            <li key={j.id}>
              <Link to={paths(collab).job(j.id)}>job {j.id}</Link> #s{j.submissionId} {j.split} started {j.startedAt ? <Time at={j.startedAt} /> : ''}
            </li>
          ))}
        </ul>
      )}
    </Panel>
  );
}

function Activity({ collab }: { collab: string }) {
  const { recent, status } = useLiveFeed();
  const p = paths(collab);
  return (
    <Panel title="Live activity" actions={<span className="muted small">{status}</span>}>
      <ul className="activity" data-testid="activity" aria-live="polite">
        {recent.slice(0, 30).map((e) => {
          const d = describeEvent(e, p);
          return (
            <li key={e.id} data-type={e.type}>
              <Time at={e.createdAt} /> {d.to ? <Link to={d.to}>{d.text}</Link> : d.text}
            </li>
          );
        })}
        {!recent.length && <Empty>Nothing has happened yet.</Empty>}
      </ul>
    </Panel>
  );
}
