/**
 * The sandbox for a harness run by hand: `node harness/main.ts --submission DIR ...` (tiny-lm) or
 * `python3 -m harness --submission DIR ...` (llm-decode) run the submission inside the same sandbox
 * the runner gives through AGORA_SANDBOX_EXEC, with the challenge's own limits, unless the caller
 * passes the loud opt-out (`--unsandboxed`). A submission is untrusted code wherever it runs.
 *
 *   node packages/runner/src/standalone.ts --challenge DIR --submission DIR
 *
 * prints the AGORA_SANDBOX_EXEC prefix (a JSON array) for harnesses in other languages.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadChallengeDir } from '@agora/store/challenge-dir';
import { sandboxExecPrefix } from './sandbox/exec.ts';

/** The flag that runs the submission with the caller's own rights. */
export const UNSANDBOXED_FLAG = '--unsandboxed';

export const UNSANDBOXED_WARNING =
  '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' +
  `!!! ${UNSANDBOXED_FLAG}: the submission runs WITHOUT a sandbox, with YOUR rights: your\n` +
  '!!! files, your network, your clock and, run as root, the whole machine.\n' +
  '!!! Use it only for code you wrote or read.\n' +
  '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!';

/** AGORA_SANDBOX_EXEC's prefix for `submissionDir` under the challenge at `challengeDir`. */
export function standalonePrefix(challengeDir: string, submissionDir: string): string[] {
  const { spec } = loadChallengeDir(resolve(challengeDir));
  const l = spec.limits;
  return sandboxExecPrefix({
    bundleDir: resolve(submissionDir),
    // Used only under the opt-out of exec.ts itself; sandboxed, /scratch is a tmpfs.
    scratchDir: mkdtempSync(join(tmpdir(), 'agora-standalone-scratch-')),
    limits: { wallSeconds: l.wall_seconds, cpuSeconds: l.cpu_seconds, memoryMb: l.memory_mb, processes: l.processes },
    devices: spec.hardware.includes('gpu') ? ['/dev/nvidia*'] : [],
    env: {},
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { challenge: { type: 'string' }, submission: { type: 'string' } }, strict: true });
  if (!values.challenge || !values.submission) {
    console.error('usage: node packages/runner/src/standalone.ts --challenge DIR --submission DIR');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(standalonePrefix(values.challenge, values.submission)) + '\n');
}
