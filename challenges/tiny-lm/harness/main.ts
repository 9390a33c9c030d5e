/**
 * tiny-lm harness entry point (what challenge.yaml's harness.command runs):
 *
 *   node harness/main.ts --submission DIR --split public|private --out FILE [--repeats N] [--request-timeout-ms MS] [--unsandboxed] [--smoke]
 *
 * `--smoke`: one untimed request on public data, nothing scored (harness/smoke.ts).
 *
 * The submission runs in the runner's sandbox: the one the runner passes in AGORA_SANDBOX_EXEC, or,
 * run by hand, the same sandbox with the challenge's limits (packages/runner/src/standalone.ts).
 * `--unsandboxed` runs it with the caller's own rights instead, after a loud warning.
 *
 * Writes a HarnessResult JSON to FILE. Exit code 0 whenever a result was written (also when the
 * submission failed: that is status "failed" in the file); 2 when the harness itself could not run.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHALLENGE_DIR, runHarness } from './run.ts';
import { runSmoke } from './smoke.ts';

const { values } = parseArgs({
  options: {
    submission: { type: 'string' },
    split: { type: 'string', default: 'public' },
    out: { type: 'string' },
    repeats: { type: 'string' },
    'request-timeout-ms': { type: 'string' },
    unsandboxed: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
  },
  strict: true,
});

if (!values.submission || !values.out) {
  console.error('usage: node harness/main.ts --submission DIR --split public|private --out FILE [--repeats N] [--request-timeout-ms MS] [--unsandboxed] [--smoke]');
  process.exit(2);
}

if (process.env.AGORA_SANDBOX_EXEC === undefined) {
  // Run by hand: loaded only then (a runner always passes its own prefix).
  const { standalonePrefix, UNSANDBOXED_WARNING } = await import('@agora/runner/standalone');
  if (values.unsandboxed) console.error(UNSANDBOXED_WARNING);
  else {
    process.env.AGORA_SANDBOX_EXEC = JSON.stringify(standalonePrefix(CHALLENGE_DIR, values.submission));
    process.env.AGORA_SANDBOX_KIND = 'bubblewrap (standalone)';
  }
}

try {
  if (values.smoke) {
    const r = await runSmoke({ submission: resolve(values.submission), split: values.split as string });
    writeFileSync(values.out, JSON.stringify(r, null, 1) + '\n');
    console.error(r.status === 'ok' ? `tiny-lm smoke run: ${String((r.extra.smoke as { summary: string }).summary)}` : `tiny-lm smoke run: submission failed (${r.failure?.code}): ${r.failure?.reason}`);
    process.exit(0);
  }
  const result = await runHarness({
    submission: resolve(values.submission),
    split: values.split as string,
    ...(values.repeats ? { repeats: Number(values.repeats) } : {}),
    ...(values['request-timeout-ms'] ? { requestTimeoutMs: Number(values['request-timeout-ms']) } : {}),
  });
  writeFileSync(values.out, JSON.stringify(result, null, 1) + '\n');
  const m = result.metric.samples;
  const g = result.guardrails.map((x) => `${x.name}=${x.value === null ? 'n/a' : Number(x.value.toFixed(4))} ${x.op} ${x.threshold} ${x.passed ? 'ok' : 'FAILED'}`).join(', ');
  console.error(
    result.status === 'ok'
      ? `tiny-lm ${result.split}: ${m.map((x) => x.toFixed(1)).join(' / ')} tokens/s; ${g}`
      : `tiny-lm ${result.split}: submission failed (${result.failure?.code}): ${result.failure?.reason}`,
  );
} catch (e) {
  console.error(`tiny-lm harness error: ${(e as Error).stack ?? e}`);
  process.exit(2);
}
