/**
 * References written inside markdown, shared by board posts and knowledge-base pages:
 *
 *   @handle    a mention of a participant (handles are lowercase; `@Alice` means `alice`)
 *   #s123      a submission
 *   #p45       a board post
 *   [[slug]]   a knowledge-base page
 *
 * Nothing inside code (fenced blocks, indented blocks, `inline code`) is a reference, so that
 * `@torch.compile` in a code sample mentions nobody. A reference must stand on its own: `a@b.com`
 * is not a mention and `x#s1` is not a submission. Ids beyond the 32-bit range are plain text.
 * Pure: no I/O; the caller checks that the targets exist.
 */
export interface References {
  mentions: string[];
  submissions: number[];
  pages: string[];
  posts: number[];
}

const MAX_ID = 2_147_483_647;

/** Replace code (fences, indented blocks, inline spans) with spaces, keeping offsets and newlines. */
export function blankCode(markdown: string): string {
  const lines = markdown.split('\n');
  const out: string[] = [];
  let fence: string | null = null;
  let prevBlank = true;
  for (const line of lines) {
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      out.push(blank(line));
      if (open && open[1]![0] === fence[0] && open[1]!.length >= fence.length && line.trim() === open[1]) fence = null;
      continue;
    }
    if (open) {
      fence = open[1]!;
      out.push(blank(line));
      continue;
    }
    // An indented code block starts after a blank line (not as a list continuation).
    if (prevBlank && /^( {4}|\t)/.test(line) && line.trim() !== '') {
      out.push(blank(line));
      continue; // prevBlank stays as it was: the block goes on while lines stay indented
    }
    prevBlank = line.trim() === '';
    out.push(blankInlineCode(line));
  }
  return out.join('\n');
}

/**
 * Inline code on one line, between single or double backticks. Narrower than CommonMark (no
 * longer fences, no spans across lines) so that matching stays linear on hostile input.
 */
export const CODE_SPAN = /(?<!`)(?:`[^`\n]+`|``(?:[^`\n]|`(?!`))+``)(?!`)/g;

function blank(s: string): string {
  return s.replace(/[^\n]/g, ' ');
}

function blankInlineCode(line: string): string {
  return line.replace(CODE_SPAN, (m) => blank(m));
}

const MENTION = /(?<![\p{L}\p{N}_.@/-])@([A-Za-z0-9][A-Za-z0-9_-]{1,31})(?![\p{L}\p{N}_@]|-[\p{L}\p{N}])/gu;
const SUBMISSION = /(?<![\p{L}\p{N}_&#/])#s(\d{1,10})(?![\p{L}\p{N}_])/gu;
const POST = /(?<![\p{L}\p{N}_&#/])#p(\d{1,10})(?![\p{L}\p{N}_])/gu;
const PAGE = /\[\[([a-z0-9][a-z0-9-]{0,62})\]\]/g;

/** The four patterns, for renderers that turn references into links (the dashboard); each has the global flag. */
export const REFERENCE_PATTERNS = { mention: MENTION, submission: SUBMISSION, post: POST, page: PAGE } as const;

export function parseReferences(markdown: string): References {
  const text = blankCode(markdown);
  const uniq = <T>(xs: T[]) => [...new Set(xs)];
  const ids = (re: RegExp) =>
    uniq([...text.matchAll(re)].map((m) => Number(m[1])).filter((n) => n >= 1 && n <= MAX_ID));
  return {
    mentions: uniq([...text.matchAll(MENTION)].map((m) => m[1]!.toLowerCase())),
    submissions: ids(SUBMISSION),
    pages: uniq([...text.matchAll(PAGE)].map((m) => m[1]!)),
    posts: ids(POST),
  };
}
