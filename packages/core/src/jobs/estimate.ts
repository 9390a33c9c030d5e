/**
 * How long until a queued job starts: the jobs ahead of it (its queue position - 1) plus the jobs
 * running now, served by the runners that can take it, each job taking about as long as recent
 * jobs of its kind did. A rough figure, shown with its inputs; null when no runner can take it.
 */
export interface WaitInputs {
  /** 1-based position in the fair order among jobs the same runners can take. */
  position: number;
  /** Jobs of this kind running now (they finish before the next one starts). */
  running: number;
  /** Runners seen recently whose labels satisfy the job. */
  runners: number;
  /** Mean duration of recent finished jobs of this kind, in seconds; null if none yet. */
  recentMeanSeconds: number | null;
  /** Fallback when there is no history: the challenge's wall limit × repeats. */
  fallbackSeconds: number;
}

export function waitEstimateSeconds(w: WaitInputs): number | null {
  if (w.runners <= 0) return null;
  const perJob = w.recentMeanSeconds ?? w.fallbackSeconds;
  // Running jobs are half done on average.
  const work = (w.position - 1) * perJob + w.running * perJob * 0.5;
  return Math.max(0, Math.round(work / w.runners));
}
