// `agora`: the command line for organizers and agents. Every verb goes through the typed SDK
// (`AgoraClient.call`), prints text by default and the raw response with --json.
// Exit codes: 0 ok, 1 an error (`error <code>: <message>` on stderr), 2 a usage error.

import { parseArgs } from 'node:util';
import { editDistance } from '@agora/core';
import { AgoraApiError } from '@agora/sdk';
import { LocalError } from '@agora/sdk/local';
import { agoraCommand } from './invocation.ts';
import { safe } from './output.ts';
import { Args, CliError, Ctx, GLOBAL_OPTIONS, processIo, UsageError, type Command, type Io } from './command.ts';
import { artifactCommands } from './commands/artifacts.ts';
import { backupCommands } from './commands/backup.ts';
import { boardCommands } from './commands/board.ts';
import { challengeCommands } from './commands/challenge.ts';
import { eventCommands } from './commands/events.ts';
import { exportCommands } from './commands/export.ts';
import { identityCommands } from './commands/identity.ts';
import { integrityCommands } from './commands/integrity.ts';
import { jobCommands } from './commands/jobs.ts';
import { watchCommands } from './commands/watch.ts';
import { kbCommands } from './commands/kb.ts';
import { mcpCommands } from './commands/mcp.ts';
import { claimCommands } from './commands/claims.ts';
import { runnerCommands } from './commands/runner.ts';
import { serverCommands } from './commands/serve.ts';
import { simulateCommands } from './commands/simulate.ts';
import { submissionCommands } from './commands/submissions.ts';
import { upCommand } from './commands/up.ts';

export const commands: Command[] = [
  upCommand,
  ...serverCommands,
  ...backupCommands,
  ...identityCommands,
  ...challengeCommands,
  ...boardCommands,
  ...kbCommands,
  ...eventCommands,
  ...submissionCommands,
  ...artifactCommands,
  ...jobCommands,
  ...watchCommands,
  ...integrityCommands,
  ...runnerCommands,
  ...claimCommands,
  ...mcpCommands,
  ...simulateCommands,
  ...exportCommands,
];

const GLOBAL_HELP = `global options: --json (raw JSON out)  --profile NAME  --url URL  -c, --collab SLUG  -h, --help
config: $AGORA_CONFIG or ~/.config/agora/config.json; AGORA_URL, AGORA_API_KEY, AGORA_COLLAB override it`;

function usageLine(c: Command): string {
  return `agora ${c.name}${c.args ? ` ${c.args}` : ''}`;
}

export function help(prefix: string[] = []): string {
  const matching = commands.filter((c) => prefix.every((w, i) => c.name.split(' ')[i] === w));
  const list = matching.length ? matching : commands;
  const w = Math.max(...list.map((c) => c.name.length));
  return [
    'usage: agora <command> [options]',
    '',
    ...list.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    GLOBAL_HELP,
    '`agora <command> --help` shows a command\'s arguments.',
  ].join('\n');
}

/**
 * The commands closest to what was typed (at most 3), compared with as many words as each command
 * has; none when nothing is near (a third of the length, at least 2 edits).
 */
export function nearestCommands(words: string[]): string[] {
  const scored = commands.map((c) => {
    const n = c.name.split(' ').length;
    const typed = words.slice(0, n).join(' ');
    return { name: c.name, d: editDistance(typed, c.name) };
  });
  const best = Math.min(...scored.map((x) => x.d));
  const typedLen = words.join(' ').length;
  if (best > Math.max(2, Math.floor(typedLen / 3))) return [];
  return scored.filter((x) => x.d === best).slice(0, 3).map((x) => x.name);
}

function commandHelp(c: Command): string {
  const opts = Object.entries(c.options ?? {}).map(([k, o]) => `--${k}${o.type === 'string' ? ' VALUE' : ''}${o.multiple ? ' (repeatable)' : ''}`);
  return [`usage: ${usageLine(c)}`, '', c.summary, ...(opts.length ? ['', `options: ${opts.join('  ')}`] : []), '', GLOBAL_HELP].join('\n');
}

/** Splits argv into the command's words and the rest, skipping global options and their values. */
function findCommand(argv: string[]): { command: Command | undefined; rest: string[]; words: string[] } {
  const wordIdx: number[] = [];
  for (let i = 0; i < argv.length && wordIdx.length < 3; i++) {
    const t = argv[i]!;
    if (t === '--') break;
    if (t.startsWith('-')) {
      const name = t.replace(/^--?/, '');
      const g = Object.entries(GLOBAL_OPTIONS).find(([k, o]) => k === name || ('short' in o && o.short === name));
      if (g && g[1].type === 'string' && !t.includes('=')) i++;
      if (!g) break; // a command option: the command's words are over
      continue;
    }
    wordIdx.push(i);
  }
  const words = wordIdx.map((i) => argv[i]!);
  for (let k = words.length; k > 0; k--) {
    const name = words.slice(0, k).join(' ');
    const command = commands.find((c) => c.name === name);
    if (command) {
      const drop = new Set(wordIdx.slice(0, k));
      return { command, rest: argv.filter((_, i) => !drop.has(i)), words };
    }
  }
  return { command: undefined, rest: argv, words };
}

function describeFetchError(e: unknown, url: string | undefined): CliError | null {
  if (!(e instanceof TypeError) || !/fetch failed/i.test(e.message)) return null;
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  return new CliError('unreachable', `cannot reach the server at ${url ?? '?'} (${cause?.code ?? cause?.message ?? 'network error'}); is it running? (\`agora up\`)`);
}

/** Runs one invocation; resolves with the exit code. Never calls process.exit. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, io: Io = processIo): Promise<number> {
  const { command, rest, words } = findCommand(argv);
  const wantsJson = argv.includes('--json');
  const fail = (code: string, message: string, details: unknown = null, exit = 1): number => {
    io.stderr(`error ${code}: ${message}\n`);
    const issues = (details as { issues?: Array<{ path?: string; message?: string }> } | null)?.issues;
    if (Array.isArray(issues)) for (const i of issues.slice(0, 20)) io.stderr(`  ${i.path ?? ''}: ${i.message ?? ''}\n`);
    // Every problem a check found, one a line (decision 0180).
    const problems = (details as { problems?: unknown } | null)?.problems;
    if (Array.isArray(problems) && problems.length > 1) for (const p of problems.slice(0, 50)) io.stderr(`  - ${safe(String(p))}\n`);
    if (wantsJson) io.stdout(`${JSON.stringify({ error: { code, message, details } })}\n`);
    return exit;
  };
  if (!command) {
    if (!words.length || words[0] === 'help') {
      io.stdout(`${help(words.slice(1))}\n`);
      return words.length || argv.some((a) => a === '-h' || a === '--help') ? 0 : 2;
    }
    const group = commands.some((c) => c.name.split(' ')[0] === words[0]);
    if (group && argv.some((a) => a === '-h' || a === '--help')) {
      io.stdout(`${help([words[0]!])}\n`);
      return 0;
    }
    // The error first, then the nearest commands: a wall of help with the error last was missed.
    const code = fail('usage', `unknown command "${words.join(' ')}"`, null, 2);
    const near = nearestCommands(words);
    // In the form the user runs agora (decision 0181).
    const me = agoraCommand(env);
    if (near.length) io.stderr(`did you mean:\n${near.map((n) => `  ${me} ${n}`).join('\n')}\n`);
    io.stderr(`\`${me} ${group ? `${words[0]} ` : ''}--help\` lists the commands.\n`);
    return code;
  }
  if (command.raw) {
    const ctx = new Ctx({ json: wantsJson, profile: undefined, url: undefined, collab: undefined }, env, io);
    try {
      return (await command.run(ctx, new Args({}, rest))) ?? 0;
    } catch (e) {
      return fail('internal', (e as Error).message);
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (e) {
    io.stderr(`usage: ${usageLine(command)}\n`);
    return fail('usage', (e as Error).message.split('\n')[0]!, null, 2);
  }
  const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (v.help) {
    io.stdout(`${commandHelp(command)}\n`);
    return 0;
  }
  const ctx = new Ctx(
    { json: v.json === true, profile: v.profile as string | undefined, url: v.url as string | undefined, collab: v.collab as string | undefined },
    env,
    io,
  );
  try {
    return (await command.run(ctx, new Args(v, parsed.positionals))) ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`usage: ${usageLine(command)}\n`);
      return fail('usage', e.message, null, 2);
    }
    if (e instanceof AgoraApiError) return fail(e.code, e.message, e.details);
    if (e instanceof LocalError) return fail(e.code, e.message, e.details);
    let url: string | undefined;
    try {
      url = ctx.resolved().url;
    } catch {
      url = undefined;
    }
    const net = describeFetchError(e, url);
    if (net) return fail(net.code, net.message);
    return fail('internal', (e as Error).stack ?? String(e));
  }
}

