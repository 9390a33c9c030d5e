// The per-user CLI config: named profiles {url, apiKey, collaboration}, one of them the default.
// File: $AGORA_CONFIG, else $XDG_CONFIG_HOME/agora/config.json, else ~/.config/agora/config.json,
// written atomically with mode 0600 (it holds API keys). See docs/decisions/0066-cli-config-and-profiles.md.

import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export interface Profile {
  url?: string;
  apiKey?: string;
  collaboration?: string;
  /** Set by `agora up` on the profile it manages: the data folder whose server the key belongs to. */
  dataDir?: string;
}

export interface ConfigFile {
  defaultProfile?: string;
  profiles: Record<string, Profile>;
}

export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AGORA_CONFIG) return env.AGORA_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'agora', 'config.json');
}

export class ConfigError extends Error {}

/** Reads the config; a missing file is an empty config, a malformed one an error naming the file. */
export function readConfig(path: string): ConfigFile {
  if (!existsSync(path)) return { profiles: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`${path}: not valid JSON (${(e as Error).message}); fix or remove it`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${path}: expected a JSON object`);
  const obj = raw as { defaultProfile?: unknown; profiles?: unknown };
  const profiles: Record<string, Profile> = {};
  if (obj.profiles !== undefined) {
    if (!obj.profiles || typeof obj.profiles !== 'object' || Array.isArray(obj.profiles)) throw new ConfigError(`${path}: "profiles" must be an object`);
    for (const [name, p] of Object.entries(obj.profiles as Record<string, unknown>)) {
      if (!p || typeof p !== 'object' || Array.isArray(p)) throw new ConfigError(`${path}: profile "${name}" must be an object`);
      const prof: Profile = {};
      for (const k of ['url', 'apiKey', 'collaboration', 'dataDir'] as const) {
        const v = (p as Record<string, unknown>)[k];
        if (v === undefined || v === null) continue;
        if (typeof v !== 'string') throw new ConfigError(`${path}: profiles.${name}.${k} must be a string`);
        prof[k] = v;
      }
      profiles[name] = prof;
    }
  }
  const def = typeof obj.defaultProfile === 'string' ? obj.defaultProfile : undefined;
  return { ...(def ? { defaultProfile: def } : {}), profiles };
}

/** True when others than the owner may read the file (a key would leak). */
export function tooOpen(path: string): boolean {
  if (process.platform === 'win32' || !existsSync(path)) return false;
  return (statSync(path).mode & 0o077) !== 0;
}

/** Writes the whole config atomically (temp file + rename) with mode 0600 in a 0700 folder. */
export function writeConfig(path: string, config: ConfigFile): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Read-modify-write of one profile; `makeDefault` also selects it as the default. */
export function saveProfile(path: string, name: string, patch: Profile, opts: { makeDefault?: boolean } = {}): ConfigFile {
  if (!PROFILE_NAME.test(name)) throw new ConfigError(`profile name "${name}": 1-64 letters, digits, ".", "_" or "-"`);
  const config = readConfig(path);
  const merged: Profile = { ...config.profiles[name] };
  for (const [k, v] of Object.entries(patch) as [keyof Profile, string | undefined][]) {
    if (v === undefined) continue;
    merged[k] = v;
  }
  config.profiles[name] = merged;
  if (opts.makeDefault || !config.defaultProfile || !config.profiles[config.defaultProfile]) config.defaultProfile = name;
  writeConfig(path, config);
  return config;
}

export type Source = 'flag' | 'env' | 'profile' | 'none';

/** What a command talks to, and where each part came from (for `whoami` and `config show`). */
export interface Resolved {
  path: string;
  profileName: string;
  profileExists: boolean;
  /** Every profile name in the file (for messages). */
  profileNames: string[];
  url: string | undefined;
  apiKey: string | undefined;
  collaboration: string | undefined;
  sources: { url: Source; apiKey: Source; collaboration: Source };
}

/**
 * Precedence: command-line flags, then AGORA_URL / AGORA_API_KEY / AGORA_COLLAB, then the profile
 * (--profile NAME, else $AGORA_PROFILE, else the config's default, else "default").
 */
export function resolveConfig(
  flags: { profile?: string | undefined; url?: string | undefined; collab?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): Resolved {
  const path = configPath(env);
  const config = readConfig(path);
  const profileName = flags.profile ?? env.AGORA_PROFILE ?? config.defaultProfile ?? 'default';
  const p = config.profiles[profileName] ?? {};
  const pick = (flag: string | undefined, envValue: string | undefined, prof: string | undefined): [string | undefined, Source] =>
    flag ? [flag, 'flag'] : envValue ? [envValue, 'env'] : prof ? [prof, 'profile'] : [undefined, 'none'];
  const [url, su] = pick(flags.url, env.AGORA_URL, p.url);
  const [apiKey, sk] = pick(undefined, env.AGORA_API_KEY, p.apiKey);
  const [collaboration, sc] = pick(flags.collab, env.AGORA_COLLAB, p.collaboration);
  return {
    path,
    profileName,
    profileExists: !!config.profiles[profileName],
    profileNames: Object.keys(config.profiles),
    url,
    apiKey,
    collaboration,
    sources: { url: su, apiKey: sk, collaboration: sc },
  };
}
