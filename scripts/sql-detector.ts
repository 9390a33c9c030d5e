/**
 * Finds SQL in TypeScript source: the string and template literals (comments are not read) that
 * are SQL statements or fragments of one, told apart from prose by their shape (a statement's
 * keywords in SQL order around identifiers, placeholders like `$1` beside a column, casts like
 * `$1::int[]`). Used by no-sql-outside-store.test.ts.
 */
import ts from 'typescript';

const ID = String.raw`[a-z_][a-z0-9_]*(?:\.[a-z_*][a-z0-9_]*)?`;
/** What may follow `from <table>` in a query, and not in an English sentence. */
const AFTER_FROM = String.raw`(?:\s+(?:[a-z_]\w*\s+)?(?:where|join|left|right|inner|cross|order|group|limit|offset|for|union|natural|on|using|returning)\b|\s*[,)(;]|\s+[a-z_]\w?\s*[,)]|\s+[a-z]\w?\s*$|\s*$)`;

const STATEMENT_SHAPES: RegExp[] = [
  new RegExp(String.raw`^\(?\s*select\s+[\s\S]+?\bfrom\s+${ID}${AFTER_FROM}`, 'i'),
  /^\(?\s*select\s+(?:\$\d|\d|pg_\w+\s*\(|count\s*\(|exists\s*\(|now\s*\(|coalesce\s*\(|set_config\s*\()/i,
  /^\(?\s*select\s+[a-z_]\w*\s*\([^)]*\)\s*(?:::\w+|as\s+\w+|,|$)/i,
  new RegExp(String.raw`^\s*with\s+(?:recursive\s+)?${ID}\s*(?:\([^)]*\))?\s+as\s*(?:not\s+)?(?:materialized\s+)?\(\s*(?:select|insert|update|delete|values|with)\b`, 'i'),
  new RegExp(String.raw`\binsert\s+into\s+${ID}\s*(?:\(|values\b|select\b|default\b)`, 'i'),
  new RegExp(String.raw`\bupdate\s+${ID}\s+(?:[a-z_]\w*\s+)?set\s+${ID}\s*=`, 'i'),
  new RegExp(String.raw`\bdelete\s+from\s+${ID}(?:\s+(?:[a-z_]\w*\s+)?(?:where|using|returning)\b|\s*$)`, 'i'),
  /^\s*(?:create|alter|drop)\s+(?:unique\s+)?(?:table|index|trigger|function|extension|schema|view|sequence|type)\b/i,
  /^(?:begin|commit|rollback)(?:\s+(?:transaction|work)|\s+isolation\s+level\s+[a-z ]+)?;?$/i,
  /^(?:vacuum|analyze)(?:\s+\(?[a-z_]+\)?)?(?:\s+[a-z_]+)?;?$/i,
  /^(?:listen|unlisten|notify)\s+"?[a-z_]+"?;?$/i,
  /^(?:truncate(?:\s+table)?|lock\s+table)\s+[a-z_]+(?:\s*,\s*[a-z_]+)*(?:\s+(?:cascade|restart identity|in \w+ mode))?;?$/i,
  /^set\s+(?:local\s+)?[a-z_.]+\s*(?:=|to)\s*\S+;?$/i,
];

/** Fragments spliced into a statement: a placeholder or a cast beside a column, `= any(...)`, `@>`. */
const FRAGMENT_SHAPES: RegExp[] = [
  new RegExp(String.raw`\b${ID}\s+(?:=|<>|!=|<=|>=|<|>)\s+\$\d+`, 'i'),
  /\$\d+::[a-z]+/i,
  new RegExp(String.raw`(?:\b${ID}|'[^']*')\s*(?:=|<>)\s*any\s*\(`, 'i'),
  new RegExp(String.raw`\b${ID}\s*@>\s*'`, 'i'),
  /\bis\s+(?:not\s+)?null\s+(?:and|or)\b/i,
  /\border\s+by\s+[a-z_.]+\s+(?:asc|desc)\b/i,
];

export function looksLikeSql(text: string): boolean {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length < 6) return false;
  return STATEMENT_SHAPES.some((r) => r.test(t)) || FRAGMENT_SHAPES.some((r) => r.test(t));
}

export interface SqlHit { line: number; text: string }

/** The text of a literal; a template's substitutions become `${}` so they never look like `$1`. */
function literalText(node: ts.Node): string | null {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isTemplateExpression(node)) return node.head.text + node.templateSpans.map((s) => '${}' + s.literal.text).join('');
  return null;
}

export function findSql(source: string, fileName = 'x.ts'): SqlHit[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const hits: SqlHit[] = [];
  const report = (node: ts.Node, text: string) =>
    hits.push({ line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, text: text.replace(/\s+/g, ' ').trim().slice(0, 100) });
  const visit = (node: ts.Node) => {
    const text = literalText(node);
    if (text !== null && looksLikeSql(text)) report(node, text);
    ts.forEachChild(node, visit); // a template's spans may hold more literals (a conditional clause)
  };
  visit(sf);
  return hits;
}
