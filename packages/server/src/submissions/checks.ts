import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgoraError, problemLines, submissionProblems, type BundleEntry, type SubmissionProblem, type SubmissionRules } from '@agora/core';
import type { CollabRow } from '../collab.ts';

/**
 * Checks before anything is stored or charged (docs/decisions/0180): everything core can tell
 * from the files without running them, refused in one 422 that lists every problem
 * (`details.problems`, one line each, and `details.checks`, typed), so an agent fixes them all at once.
 */
export const rulesOf = (c: CollabRow): SubmissionRules => ({
  max_bytes: c.challenge.submission?.max_bytes ?? 50 * 1024 ** 2,
  max_files: c.challenge.submission?.max_files ?? 2000,
  required_files: c.challenge.submission?.required_files ?? [],
  manifest: c.challenge.submission?.manifest,
});

const MANIFEST_READ_MAX = 256 * 1024;

/** The unpacked files in `dir` (and the artifacts placed beside them) against the challenge's rules. */
export function checkUnpacked(rules: SubmissionRules, dir: string, files: readonly BundleEntry[], artifactPaths: readonly string[], earlier: string[] = []): void {
  const sizes = new Map(files.map((f) => [f.path, f.size]));
  const read = (p: string) => ((sizes.get(p) ?? Infinity) <= MANIFEST_READ_MAX ? readFileSync(join(dir, p), 'utf8') : null);
  refuseIfAny(earlier, submissionProblems(rules, files, new Set([...sizes.keys(), ...artifactPaths]), read));
}

/** One 422 listing every problem, or nothing. */
export function refuseIfAny(earlier: readonly string[], checks: readonly SubmissionProblem[]): void {
  const problems = [...earlier, ...problemLines(checks)];
  if (!problems.length) return;
  const head = problems.length === 1 ? problems[0]! : `${problems.length} problems with the submission, nothing was stored or charged: ${problems[0]}; ...`;
  throw new AgoraError('unprocessable', head, { problems: problems.slice(0, 50), checks: checks.slice(0, 50) });
}
