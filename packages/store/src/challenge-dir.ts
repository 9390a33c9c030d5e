import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { AgoraError, parseChallenge, type ChallengeSpec } from '@agora/core';

export interface LoadedChallenge {
  dir: string;
  spec: ChallengeSpec;
  rules: string;
}

/** Reads a challenge folder: challenge.yaml plus its rules file, validated. */
export function loadChallengeDir(dirArg: string): LoadedChallenge {
  const dir = resolve(dirArg);
  const file = join(dir, 'challenge.yaml');
  if (!existsSync(file)) throw new AgoraError('unprocessable', `${file}: no such file: a challenge folder holds challenge.yaml`);
  const spec = parseChallenge(readFileSync(file, 'utf8'), file);
  let rules = spec.rules ?? '';
  if (spec.rules_file) {
    const rel = normalize(spec.rules_file);
    if (isAbsolute(rel) || rel.startsWith('..')) throw new AgoraError('unprocessable', `${file}: rules_file: must be a path inside the challenge folder`);
    const rulesPath = join(dir, rel);
    if (!existsSync(rulesPath)) throw new AgoraError('unprocessable', `${file}: rules_file: ${rulesPath} does not exist`);
    rules = readFileSync(rulesPath, 'utf8');
  }
  return { dir, spec, rules };
}
