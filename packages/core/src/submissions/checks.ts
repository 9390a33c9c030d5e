/**
 * What can be known about a submission without running it: its size and file count, the files the
 * challenge requires, and its manifest (valid JSON, the declared fields and types, a command whose
 * placeholders the harness knows and whose scripts are in the bundle). Every problem is reported at
 * once, so an agent fixes them in one go instead of one failed job each (docs/decisions/0180). Pure:
 * the caller reads the manifest's text.
 */
import type { ManifestSpec } from '../schemas/challenge.ts';
import { editDistance } from '../text/distance.ts';
import { quoted } from './paths.ts';

export interface SubmissionRules {
  max_bytes: number;
  max_files: number;
  required_files?: string[] | undefined;
  manifest?: ManifestSpec | undefined;
}

export type SubmissionProblemCode = 'too_many_files' | 'too_large' | 'missing_file' | 'manifest_json' | 'manifest_field' | 'command';

export interface SubmissionProblem {
  code: SubmissionProblemCode;
  /** The bundle path it is about, where there is one. */
  path?: string;
  /** The manifest field it is about, where there is one. */
  field?: string;
  message: string;
}

/** Files that look like a script a command runs: they must be in the bundle. */
const SCRIPT = /\.(ts|mts|cts|js|mjs|cjs|py|sh)$/;
const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * @param files the bundle's own files with their sizes (sizes and counts are checked on these)
 * @param present every path the unpacked submission will have: the files and the artifacts placed into it
 * @param readText the text of a bundle file, or null when it is not there
 */
export function submissionProblems(
  rules: SubmissionRules,
  files: readonly { path: string; size: number }[],
  present: ReadonlySet<string>,
  readText: (path: string) => string | null,
): SubmissionProblem[] {
  const out: SubmissionProblem[] = [];
  if (files.length > rules.max_files) out.push({ code: 'too_many_files', message: `the bundle has ${files.length} files; this challenge takes at most ${rules.max_files}` });
  const total = files.reduce((n, f) => n + f.size, 0);
  if (total > rules.max_bytes) out.push({ code: 'too_large', message: `the bundle's files add up to ${total} bytes; this challenge takes at most ${rules.max_bytes}` });
  const m = rules.manifest;
  for (const path of new Set([...(m ? [m.file] : []), ...(rules.required_files ?? [])]))
    if (!present.has(path)) out.push({ code: 'missing_file', path, message: `${quoted(path)} is missing: this challenge requires it${m?.file === path ? ` (the manifest: ${manifestHint(m)})` : ''}` });
  if (m && present.has(m.file)) out.push(...manifestProblems(m, readText(m.file) ?? '', present));
  return out;
}

/** One line per problem, for a message or a terminal. */
export const problemLines = (ps: readonly SubmissionProblem[]) => ps.map((p) => p.message);

function manifestHint(m: ManifestSpec): string {
  const req = Object.entries(m.fields).filter(([, f]) => f.required);
  return `a JSON object with ${req.length ? req.map(([k, f]) => `"${k}" (${f.type})`).join(', ') : 'the fields it declares'}`;
}

function manifestProblems(m: ManifestSpec, text: string, present: ReadonlySet<string>): SubmissionProblem[] {
  const file = m.file;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return [{ code: 'manifest_json', path: file, message: `${file} is not valid JSON (${(e as Error).message.slice(0, 160)}); it must be ${manifestHint(m)}` }];
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return [{ code: 'manifest_json', path: file, message: `${file} must be ${manifestHint(m)}` }];
  const obj = raw as Record<string, unknown>;
  const out: SubmissionProblem[] = [];
  const field = (name: string, message: string, code: SubmissionProblemCode = 'manifest_field') => out.push({ code, path: file, field: name, message: `${file}: ${message}` });
  for (const [name, f] of Object.entries(m.fields)) {
    const v = obj[name];
    if (v === undefined) {
      if (f.required) field(name, `"${name}" is missing (${typeHint(f.type)})`);
      continue;
    }
    const wrong = typeProblem(f.type, v);
    if (wrong) field(name, `"${name}" ${wrong}`);
    else if (f.type === 'argv') for (const p of commandProblems(v as string[], m.placeholders, present)) field(name, `"${name}": ${p}`, 'command');
  }
  const known = Object.keys(m.fields);
  for (const name of Object.keys(obj))
    if (!(name in m.fields)) field(name, `unknown field ${quoted(name)} (the harness reads ${known.map((k) => `"${k}"`).join(', ')})${nearest(name, known)}`);
  return out;
}

const typeHint = (t: ManifestSpec['fields'][string]['type']) =>
  ({ argv: 'a non-empty list of strings, e.g. ["node", "serve.ts"]', string: 'a string', string_map: 'an object of strings', boolean: 'true or false', number: 'a number' })[t];

function typeProblem(t: ManifestSpec['fields'][string]['type'], v: unknown): string | null {
  switch (t) {
    case 'argv':
      if (!Array.isArray(v) || v.length === 0) return `must be ${typeHint(t)}`;
      if (!v.every((x) => typeof x === 'string' && x.length > 0)) return `must hold only non-empty strings (${typeHint(t)})`;
      return null;
    case 'string':
      return typeof v === 'string' ? null : 'must be a string';
    case 'string_map':
      return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string') ? null : 'must map strings to strings';
    case 'boolean':
      return typeof v === 'boolean' ? null : 'must be true or false';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? null : 'must be a number';
  }
}

/** The command's shape: placeholders the harness substitutes, and the scripts it names present in the bundle. */
function commandProblems(argv: string[], placeholders: readonly string[], present: ReadonlySet<string>): string[] {
  const out: string[] = [];
  argv.forEach((a, i) => {
    for (const [, name] of a.matchAll(PLACEHOLDER))
      if (!placeholders.includes(name!))
        out.push(`unknown placeholder {${name}} in argument ${i} (${placeholders.length ? `the harness fills ${placeholders.map((p) => `{${p}}`).join(', ')}` : 'the harness fills none'})`);
    if (a.startsWith('-') || a.includes('{') || a.startsWith('/') || a.includes('=')) return;
    const path = a.replace(/^(\.\/)+/, '');
    const named = SCRIPT.test(path) || (i === 0 && a.includes('/'));
    if (named && !present.has(path)) out.push(`argument ${i} names ${quoted(a)}, which is not in the bundle`);
  });
  return out;
}

/** ` (did you mean "command"?)` for a near miss. */
function nearest(name: string, known: string[]): string {
  const best = known.map((k) => ({ k, d: editDistance(name.toLowerCase(), k.toLowerCase()) })).sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(2, Math.floor(best.k.length / 3)) ? ` (did you mean "${best.k}"?)` : '';
}
