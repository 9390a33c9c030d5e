import { parse as parseYaml, YAMLParseError } from 'yaml';
import { AgoraError } from './errors.ts';
import { ChallengeSpec } from './schemas/challenge.ts';

/**
 * Parses and validates challenge.yaml text. Errors name the file, the field and what was
 * expected, e.g. `challenge.yaml: metric.direction: expected "maximize" or "minimize"`.
 */
export function parseChallenge(text: string, file = 'challenge.yaml'): ChallengeSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` (line ${err.linePos[0].line})` : '';
    throw new AgoraError('unprocessable', `${file}${where}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = ChallengeSpec.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ file, field: i.path.join('.') || '(root)', message: i.message }));
    const first = issues[0]!;
    throw new AgoraError('unprocessable', `${file}: ${first.field}: ${first.message}`, { issues });
  }
  const spec = parsed.data;
  if (!spec.rules && !spec.rules_file) throw new AgoraError('unprocessable', `${file}: rules: give the rules inline (rules) or as a file (rules_file)`);
  if (!Object.values(spec.splits).some((s) => s.visibility === 'public'))
    throw new AgoraError('unprocessable', `${file}: splits: at least one split must be public`);
  return spec;
}
