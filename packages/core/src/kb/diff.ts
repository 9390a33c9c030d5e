/**
 * A line diff between two texts: Myers' O((N+M)D) shortest edit script, grouped into unified-diff
 * hunks with context. Pure: no I/O, used by the knowledge base (revision diffs, edit conflicts).
 *
 * Lines are split on "\n" ("\r" stays part of the line). A last line without a newline is a
 * different line from the same text with one, and is marked "\ No newline at end of file", as in
 * GNU diff and git.
 */

export interface Hunk {
  /** 1-based first line in the old text; when oldLines is 0, the line after which the hunk applies. */
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** Each line prefixed with " " (context), "-" (removed) or "+" (added); "\ No newline at end of file" follows such a line. */
  lines: string[];
}

export interface LineDiff {
  hunks: Hunk[];
  added: number;
  removed: number;
  /** False when the texts differ so much that the search budget ran out and a coarser (still correct) diff was produced. */
  minimal: boolean;
}

export interface DiffOptions {
  /** Unchanged lines shown around each change; 3 as in `diff -u`. */
  context?: number;
  /** The most edits Myers' search explores before falling back to replacing the differing middle block. */
  maxEdits?: number;
  /** The most line comparisons it makes before the same fallback: bounds the time an adversarial pair of texts can take. */
  maxWork?: number;
}

const NO_EOL = '\\ No newline at end of file';

interface Line {
  text: string;
  /** Only the last line of a text can lack its newline. */
  eol: boolean;
}

export function splitLines(text: string): Line[] {
  if (text === '') return [];
  const parts = text.split('\n');
  const endsWithNewline = parts.at(-1) === '';
  if (endsWithNewline) parts.pop();
  return parts.map((t, i) => ({ text: t, eol: endsWithNewline || i < parts.length - 1 }));
}

type Op = 0 | 1 | 2; // equal, delete, insert
const EQ = 0, DEL = 1, INS = 2;

/**
 * Myers' greedy forward search, keeping each round's frontier to walk the path back. Returns the
 * edit script for a[0..n) -> b[0..m), or null when it needs more than maxD edits or maxWork steps.
 */
function myers(a: Int32Array, b: Int32Array, maxD: number, maxWork: number): Op[] | null {
  const n = a.length, m = b.length, max = n + m;
  const off = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = -1, work = 0;
  for (let d = 0; d <= Math.min(max, maxD) && found < 0; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[off + k - 1]! < v[off + k + 1]!) ? v[off + k + 1]! : v[off + k - 1]! + 1;
      let y = x - k;
      const x0 = x;
      while (x < n && y < m && a[x] === b[y]) x++, y++;
      work += x - x0 + 1;
      v[off + k] = x;
      if (x >= n && y >= m) found = d;
    }
    trace.push(v.slice(off - d, off + d + 1));
    if (work > maxWork && found < 0) return null;
  }
  if (found < 0) return null;
  const ops: Op[] = [];
  let x = n, y = m;
  for (let d = found; d > 0; d--) {
    const prev = trace[d - 1]!;
    const at = (k: number) => prev[k + d - 1]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && at(k - 1) < at(k + 1)) ? k + 1 : k - 1;
    const prevX = at(prevK), prevY = prevX - prevK;
    while (x > prevX && y > prevY) ops.push(EQ), x--, y--;
    ops.push(x === prevX ? INS : DEL);
    x = prevX, y = prevY;
  }
  while (x > 0 && y > 0) ops.push(EQ), x--, y--;
  return ops.reverse();
}

/** The edit script between two line lists: common prefix and suffix first, Myers on the middle. */
function editScript(a: Line[], b: Line[], maxD: number, maxWork: number): { ops: Op[]; minimal: boolean } {
  const ids = new Map<string, number>();
  const intern = (l: Line) => {
    const key = l.eol ? l.text : `${l.text}\n`; // "\n" never occurs inside a line: a distinct key for a missing newline
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = ids.size));
    return id;
  };
  const ai = Int32Array.from(a, intern), bi = Int32Array.from(b, intern);
  let pre = 0;
  while (pre < ai.length && pre < bi.length && ai[pre] === bi[pre]) pre++;
  let suf = 0;
  while (suf < ai.length - pre && suf < bi.length - pre && ai[ai.length - 1 - suf] === bi[bi.length - 1 - suf]) suf++;
  const midA = ai.subarray(pre, ai.length - suf), midB = bi.subarray(pre, bi.length - suf);
  let mid = myers(midA, midB, maxD, maxWork);
  const minimal = mid !== null;
  mid ??= [...Array<Op>(midA.length).fill(DEL), ...Array<Op>(midB.length).fill(INS)];
  return { ops: [...Array<Op>(pre).fill(EQ), ...mid, ...Array<Op>(suf).fill(EQ)], minimal };
}

export function diffLines(oldText: string, newText: string, opts: DiffOptions = {}): LineDiff {
  const context = Math.max(0, opts.context ?? 3);
  const a = splitLines(oldText), b = splitLines(newText);
  const { ops, minimal } = editScript(a, b, opts.maxEdits ?? 2000, opts.maxWork ?? 10_000_000);

  // Position of each op in both texts, so hunks can be cut anywhere.
  const ai: number[] = [], bi: number[] = [];
  let x = 0, y = 0, added = 0, removed = 0;
  for (const op of ops) {
    ai.push(x), bi.push(y);
    if (op !== INS) x++;
    if (op !== DEL) y++;
    if (op === INS) added++;
    if (op === DEL) removed++;
  }

  const hunks: Hunk[] = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i] === EQ) { i++; continue; }
    // A hunk runs from `context` lines before its first change to `context` lines after its last,
    // swallowing gaps of up to 2*context equal lines between changes.
    const start = Math.max(0, i - context);
    let end = i;
    for (;;) {
      while (end < ops.length && ops[end] !== EQ) end++;
      let next = end;
      while (next < ops.length && ops[next] === EQ) next++;
      if (next < ops.length && next - end <= 2 * context) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + context);
    const lines: string[] = [];
    let oldLines = 0, newLines = 0;
    for (let j = start; j < stop; j++) {
      const op = ops[j]!;
      const line = op === INS ? b[bi[j]!]! : a[ai[j]!]!;
      lines.push((op === EQ ? ' ' : op === DEL ? '-' : '+') + line.text);
      if (!line.eol) lines.push(NO_EOL);
      if (op !== INS) oldLines++;
      if (op !== DEL) newLines++;
    }
    hunks.push({
      oldStart: oldLines ? ai[start]! + 1 : ai[start]!,
      oldLines,
      newStart: newLines ? bi[start]! + 1 : bi[start]!,
      newLines,
      lines,
    });
    i = stop;
  }
  return { hunks, added, removed, minimal };
}

const range = (start: number, count: number) => (count === 1 ? `${start}` : `${start},${count}`);

/** The diff as the text `diff -u` would print, with the given file labels. */
export function formatUnified(diff: LineDiff, oldLabel: string, newLabel: string): string {
  if (!diff.hunks.length) return '';
  const out = [`--- ${oldLabel}`, `+++ ${newLabel}`];
  for (const h of diff.hunks) {
    out.push(`@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`, ...h.lines);
  }
  return `${out.join('\n')}\n`;
}

/**
 * Applies hunks produced by diffLines to the text they were computed from (strictly: every
 * context and removed line must match). Returns the new text; throws on a mismatch.
 */
export function applyHunks(oldText: string, hunks: Hunk[]): string {
  const a = splitLines(oldText);
  const out: Line[] = [];
  let pos = 0;
  for (const h of hunks) {
    const from = h.oldLines ? h.oldStart - 1 : h.oldStart;
    if (from < pos || from > a.length) throw new Error(`hunk at line ${h.oldStart} is out of order or out of range`);
    out.push(...a.slice(pos, from));
    pos = from;
    for (let j = 0; j < h.lines.length; j++) {
      const raw = h.lines[j]!;
      const eol = h.lines[j + 1] !== NO_EOL;
      if (!eol) j++;
      const line = { text: raw.slice(1), eol };
      if (raw[0] === '+') { out.push(line); continue; }
      const have = a[pos];
      if (!have || have.text !== line.text || have.eol !== line.eol) throw new Error(`hunk does not match at old line ${pos + 1}`);
      if (raw[0] === ' ') out.push(have);
      pos++;
    }
  }
  out.push(...a.slice(pos));
  return out.map((l) => (l.eol ? `${l.text}\n` : l.text)).join('');
}
