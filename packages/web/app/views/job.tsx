import type { LogLine } from '@agora/core';
import { useEffect, useState } from 'react';
import type { ViewProps } from '../app.tsx';
import { errorText, useClient } from '../api.ts';
import { useQuery } from '../data.ts';
import { num } from '../format.ts';
import { useLiveEvent } from '../live.tsx';
import { paths } from '../paths.ts';
import { Link } from '../router.tsx';
import { Empty, Panel, Time } from '../components/ui.tsx';

/** One job, its state moving live, and its log lines as they arrive (never a private job's). */
export function JobView({ collab, params }: ViewProps) {
  const id = Number(params.id);
  const client = useClient();
  const p = paths(collab);
  const [tick, setTick] = useState(0);
  useLiveEvent((e) => {
    if (e.type.startsWith('job.') && (e.payload as { jobId: number }).jobId === id) setTick((t) => t + 1);
  });
  const job = useQuery(() => client.call('getJob', { params: { collab, id } }), [client, collab, id, tick]);
  const j = job.data;
  return (
    <div className="grid">
      <Panel title={`Job ${id}`} loading={job.loading} error={job.error}>
        {j && (
          <>
            <p>
              <span className={`state state-${j.state}`} data-testid="job-state">
                {j.state.replace('_', ' ')}
              </span>{' '}
              for <Link to={p.submission(j.submissionId)}>#s{j.submissionId}</Link> on {j.split} ({j.visibility}), {j.repeats} repeats, needs {j.hardware.join(', ') || 'any runner'}
            </p>
            {j.reason && <p className="muted">{j.reason}</p>}
            <p className="muted small">
              Originator {j.originator.handle}
              {j.sponsor && `, paid by ${j.sponsor.handle}`}, requested by {j.requestedBy.handle}; queued <Time at={j.createdAt} />
              {j.queuePosition !== null && `, position ${j.queuePosition} in the queue`}
              {j.waitEstimateSeconds !== null && ` (about ${Math.round(j.waitEstimateSeconds / 60)} min)`}
              {j.finishedAt && (
                <>
                  , finished <Time at={j.finishedAt} />
                </>
              )}
            </p>
            {j.result && (
              <p>
                {j.result.metric.name}: {j.result.metric.samples.map((x) => num(x)).join(', ')} {j.result.metric.unit} on {j.result.hardwareClass}
              </p>
            )}
            {j.attempts.length > 0 && (
              <ul className="list compact">
                {j.attempts.map((a) => (
                  <li key={a.attempt}>
                    attempt {a.attempt} on {a.runnerName}: {a.outcome ?? 'running'} {a.reason && <span className="muted">{a.reason}</span>}
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
      </Panel>
      {j && (j.visibility === 'private' ? <Panel title="Logs"><Empty>Logs of private-split jobs are not shown on the dashboard: they could quote private data.</Empty></Panel> : <Logs collab={collab} id={id} done={!['queued', 'running'].includes(j.state)} />)}
    </div>
  );
}

function Logs({ collab, id, done }: { collab: string; id: number; done: boolean }) {
  const client = useClient();
  const [lines, setLines] = useState<LogLine[]>([]);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let after = 0;
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Polls while the job runs; the last read after it finished picks up the final lines.
    const read = async () => {
      try {
        for (;;) {
          const page = await client.call('jobLogs', { params: { collab, id }, query: { after, limit: 1000 } });
          if (stop) return;
          if (page.items.length) setLines((ls) => [...ls, ...page.items].slice(-5000));
          after = page.nextAfter;
          if (page.items.length < 1000) {
            if (!page.done) timer = setTimeout(read, 1500);
            return;
          }
        }
      } catch (e) {
        if (!stop) setError(errorText(e));
      }
    };
    setLines([]);
    void read();
    return () => {
      stop = true;
      clearTimeout(timer);
    };
  }, [client, collab, id, done]);
  return (
    <Panel title="Logs" error={error}>
      {lines.length ? (
        <pre className="logs" data-testid="logs">
          {lines.map((l) => (
            <span key={l.seq} className={`log-${l.stream}`}>
              {l.text}
              {'\n'}
            </span>
          ))}
        </pre>
      ) : (
        <Empty>No log lines yet.</Empty>
      )}
    </Panel>
  );
}
