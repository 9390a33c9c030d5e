// For test files only: whether the sandbox suites may skip on this host.
//
// The probe builds a real sandbox with the code under test, so a broken bubblewrap flag makes it
// fail, and a suite that skipped on a failed probe would then vanish ("fail 0, skipped 0"). A
// skip is therefore allowed only where bubblewrap is not installed and CI is not set; anywhere
// else a failed probe registers a failing test with the probe's reason, and the suites run (and
// fail on SandboxUnavailableError) instead of skipping.

import { test } from 'node:test';
import { probeSandboxSync } from './probe.ts';

let registered = false;

/**
 * `false` when the sandbox works here (run the suite), else the skip reason. Where skipping is not
 * allowed (bubblewrap installed, or CI=true) it returns `false` and adds one failing test.
 */
export function sandboxSkip(): string | false {
  const probe = probeSandboxSync();
  if (probe.available) return false;
  const reason = `bubblewrap cannot make a sandbox on this host (${probe.reason ?? 'unknown'})`;
  const mustWork = probe.bwrapPath !== undefined || process.env.CI === 'true';
  if (!mustWork) return reason;
  if (!registered) {
    registered = true;
    test('the sandbox works where bubblewrap is installed or CI=true', () => {
      throw new Error(`${reason}; the sandbox suites are run, not skipped, so that a broken sandbox cannot vanish from the results`);
    });
  }
  return false;
}
