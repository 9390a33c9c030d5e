// `agora jobs watch <id>`: a job's state changes and log lines, live, to its end (the job-log
// stream through the SDK), with an exit code by its final state (docs/decisions/0182).

import { isTerminal, type Job, type JobState } from '@agora/core';
import type { Command, Ctx } from '../command.ts';
import { safe } from '../output.ts';

/** 0 succeeded; 3 scored but a guardrail failed (not a result to build on); 1 failed, timed out, errored or cancelled. */
export const exitCodeOf = (state: JobState): number => (state === 'succeeded' ? 0 : state === 'guardrail_failed' ? 3 : 1);

const stateLine = (j: Job) => `job #${j.id}: ${j.state}${j.state === 'queued' && j.queuePosition ? ` (queue position ${j.queuePosition}, about ${j.waitEstimateSeconds ?? '?'} s)` : ''}`;

/**
 * Follows a job to its end. State changes go to stderr (a note, so --json stays clean); with
 * `logs`, log lines go to stdout (as JSON lines under --json). The platform writes a log line on
 * every state change, so the state is read again whenever one arrives.
 */
export async function watchJob(c: Ctx, collab: string, id: number, opts: { logs: boolean }): Promise<Job> {
  const client = c.client();
  let job = await client.call('getJob', { params: { collab, id } });
  let shown = stateLine(job);
  c.note(shown);
  if (isTerminal(job.state) && !opts.logs) return job;
  const refresh = async () => {
    job = await client.call('getJob', { params: { collab, id } });
    const line = stateLine(job);
    if (line !== shown) c.note((shown = line));
  };
  for await (const item of client.jobLog(collab, id)) {
    if (item.type === 'end') break;
    const l = item.line;
    if (opts.logs) c.out(c.json ? JSON.stringify(l) : `${l.stream.padEnd(8)} ${safe(l.text)}`);
    if (l.stream === 'platform') await refresh();
  }
  await refresh();
  return job;
}

export const watchCommands: Command[] = [
  {
    name: 'jobs watch',
    args: '<job-id> [--quiet]',
    summary: 'Follow a job live to its end: state changes (stderr) and log lines (stdout; --quiet leaves them out). Exit code by the final state: 0 succeeded, 3 guardrail failed, 1 failed, timed out, errored or cancelled.',
    options: { quiet: { type: 'boolean', short: 'q' } },
    async run(c, a) {
      a.atMost(1);
      const id = a.id(0, '<job-id>');
      const job = await watchJob(c, c.collab(), id, { logs: !a.flag('quiet') });
      if (c.json) c.out(JSON.stringify(job));
      else c.note(`job #${job.id} ended ${job.state}${job.reason ? `: ${safe(job.reason)}` : ''}`);
      return exitCodeOf(job.state);
    },
  },
];
