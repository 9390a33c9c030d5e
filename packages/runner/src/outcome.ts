// Turns what the harness did into the job's outcome. Whose fault decides: the submission's
// (failed, charged) or the infrastructure's (errored, refunded and retried); past the wall
// limit is timed_out. See docs/decisions/0061-outcome-classification.md.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { HarnessResult, type JobOutcome } from '@agora/core';
import type { HarnessExit } from './harness.ts';

export interface Classified {
  outcome: JobOutcome;
  result?: HarnessResult;
  reason?: string;
}

/** The upload limit of a JSON body is 1 MiB; a result file larger than this cannot be sent. */
export const MAX_RESULT_BYTES = 1024 * 1024 - 16 * 1024;
const REASON_MAX = 4000;

export const clip = (s: string, n = REASON_MAX) => (s.length > n ? `${s.slice(0, n - 20)}... [cut]` : s);

function tail(exit: HarnessExit): string {
  const t = exit.stderrTail.trim();
  return t ? `\n--- harness stderr (last lines) ---\n${t.slice(-1500)}` : '';
}

/** Reads and validates result.json; a string says what is wrong with it. */
export function readResultFile(file: string, split: string): HarnessResult | string {
  if (!existsSync(file)) return 'the harness wrote no result file';
  const size = statSync(file).size;
  if (size > MAX_RESULT_BYTES) return `the result file is ${size} bytes, over the ${MAX_RESULT_BYTES}-byte limit`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    return `the result file is not valid JSON (${(e as Error).message.slice(0, 200)})`;
  }
  const parsed = HarnessResult.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    return `the result file does not match HarnessResult: ${i.path.join('.') || '(root)'}: ${i.message}`;
  }
  if (parsed.data.split !== split) return `the result file is for split "${parsed.data.split.slice(0, 32)}", not "${split}"`;
  if (parsed.data.status === 'ok' && parsed.data.metric.samples.some((x) => !Number.isFinite(x))) return 'the result has a non-finite metric sample';
  return parsed.data;
}

/**
 * - killed at the job's wall limit: timed_out (the result file, if any, is attached);
 * - a valid result with status failed: failed, the harness's failure reason;
 * - a valid result with status ok and exit code 0: succeeded;
 * - anything else (no file, invalid file, crash, non-zero exit with an ok result): errored.
 */
export function classify(exit: HarnessExit, resultFile: string, split: string): Classified {
  if (exit.spawnError) return { outcome: 'errored', reason: clip(exit.spawnError) };
  const res = readResultFile(resultFile, split);
  if (exit.killed?.by === 'wall_time') {
    return { outcome: 'timed_out', reason: clip(exit.killed.reason), ...(typeof res === 'object' ? { result: res } : {}) };
  }
  if (exit.killed) return { outcome: 'errored', reason: clip(exit.killed.reason) };
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.exitCode}`;
  if (typeof res === 'string') return { outcome: 'errored', reason: clip(`the harness ${how} and ${res}${tail(exit)}`) };
  if (res.status === 'failed') {
    const f = res.failure;
    return { outcome: 'failed', result: res, reason: clip(f ? `${f.code}: ${f.reason}` : 'the harness reported the submission failed, without a reason') };
  }
  if (exit.exitCode !== 0) {
    return { outcome: 'errored', reason: clip(`the harness ${how} after writing an ok result; the result is not trusted${tail(exit)}`) };
  }
  return { outcome: 'succeeded', result: res };
}
