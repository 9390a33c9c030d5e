import { boardLinks, type BoardLinks } from './links.ts';
import { CODE_SPAN } from './references.ts';

/**
 * A small markdown renderer whose output is safe to insert into a web page as it is:
 * everything the author wrote is HTML-escaped first, raw HTML is shown as text, and the only
 * tags produced are the ones below. Links keep only http, https, mailto and relative targets.
 *
 * Supported: paragraphs, headings (#), fenced and indented code, inline code, block quotes,
 * flat lists (-, *, +, 1.), rules (---), **strong**, *em* / _em_, [text](url), bare http(s) URLs,
 * and the board references @handle, #s<id>, #p<id>, [[page]] (the same ones parseReferences finds).
 * Deliberately not supported: raw HTML, images (shown as links), tables, nested lists.
 */
export function renderMarkdown(markdown: string, collab: string): string {
  const links = boardLinks(collab);
  const lines = markdown.replace(/\r\n?/g, '\n').replace(/\u0000/g, '\uFFFD').split('\n');
  return renderBlocks(lines, links, 0);
}

const MAX_QUOTE_DEPTH = 8;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The link target to use, or null when it is not safe (javascript:, data:, vbscript:, ...). */
export function safeUrl(raw: string): string | null {
  // Browsers ignore whitespace and control characters inside a scheme (`java\tscript:`).
  const url = raw.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  if (!url) return null;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url);
  if (scheme) return ['http', 'https', 'mailto'].includes(scheme[1]!.toLowerCase()) ? url : null;
  return url;
}

const LIST_ITEM = /^ {0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)/;

function renderBlocks(lines: string[], links: BoardLinks, depth: number): string {
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1]!;
      const lang = fence[2]!.toLowerCase().replace(/[^a-z0-9_+#-]/g, '').slice(0, 32);
      const code: string[] = [];
      i++;
      while (i < lines.length) {
        const close = FENCE.exec(lines[i]!);
        if (close && close[1]![0] === marker[0] && close[1]!.length >= marker.length && lines[i]!.trim() === close[1]) {
          i++;
          break;
        }
        code.push(lines[i]!);
        i++;
      }
      out.push(`<pre><code${lang ? ` class="language-${lang}"` : ''}>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    if (/^( {4}|\t)/.test(line)) {
      const code: string[] = [];
      while (i < lines.length && (/^( {4}|\t)/.test(lines[i]!) || lines[i]!.trim() === '')) {
        code.push(lines[i]!.replace(/^( {4}|\t)/, ''));
        i++;
      }
      while (code.length && code.at(-1)!.trim() === '') code.pop();
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const n = heading[1]!.length;
      out.push(`<h${n}>${renderInline(heading[2]!, links)}</h${n}>`);
      i++;
      continue;
    }
    if (/^ {0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push('<hr>');
      i++;
      continue;
    }
    if (/^ {0,3}>/.test(line)) {
      const quoted: string[] = [];
      while (i < lines.length && /^ {0,3}>/.test(lines[i]!)) {
        quoted.push(lines[i]!.replace(/^ {0,3}> ?/, ''));
        i++;
      }
      // Bounded nesting: `>>>>>>...` deeper than this is shown as text, not recursed into.
      out.push(
        depth < MAX_QUOTE_DEPTH
          ? `<blockquote>\n${renderBlocks(quoted, links, depth + 1)}\n</blockquote>`
          : `<blockquote><p>${renderInline(quoted.join('\n'), links)}</p></blockquote>`,
      );
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (item) {
      const ordered = /\d/.test(item[1]![0]!);
      const items: string[] = [];
      while (i < lines.length) {
        const m = LIST_ITEM.exec(lines[i]!);
        if (m && /\d/.test(m[1]![0]!) === ordered) {
          items.push(m[2]!);
        } else if (items.length && /^\s+\S/.test(lines[i]!) && !LIST_ITEM.exec(lines[i]!)) {
          items[items.length - 1] += `\n${lines[i]!.trim()}`;
        } else break;
        i++;
      }
      const start = ordered ? Number.parseInt(item[1]!, 10) : 1;
      const tag = ordered ? 'ol' : 'ul';
      const attr = ordered && start !== 1 ? ` start="${start}"` : '';
      out.push(`<${tag}${attr}>\n${items.map((t) => `<li>${renderInline(t, links)}</li>`).join('\n')}\n</${tag}>`);
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '' && !FENCE.test(lines[i]!) && !/^ {0,3}(#{1,6}\s|>)/.test(lines[i]!) && !(para.length && LIST_ITEM.test(lines[i]!))) {
      para.push(lines[i]!.trim());
      i++;
    }
    out.push(`<p>${renderInline(para.join('\n'), links)}</p>`);
  }
  return out.join('\n');
}

// Inline tokens, tried at once by one regex; the text between them is escaped and emphasised.
const INLINE = new RegExp(
  [
    `(?<code>${CODE_SPAN.source})`,
    /(?<link>!?\[(?<ltext>[^\]\n]{0,1000})\]\((?<lurl>[^\s()]{0,2000})(?:\s+"[^"\n]{0,300}")?\))/.source,
    /(?<page>\[\[(?<slug>[a-z0-9][a-z0-9-]{0,62})\]\])/.source,
    /(?<auto>\bhttps?:\/\/[^\s<>"'`]+)/.source,
    /(?<![\p{L}\p{N}_.@/-])(?<mention>@[A-Za-z0-9][A-Za-z0-9_-]{1,31})(?![\p{L}\p{N}_@]|-[\p{L}\p{N}])/u.source,
    /(?<![\p{L}\p{N}_&#/])(?<ref>#(?<rkind>[sp])(?<rid>\d{1,10}))(?![\p{L}\p{N}_])/u.source,
  ].join('|'),
  'gu',
);

const MAX_ID = 2_147_483_647;

function renderInline(text: string, links: BoardLinks | null): string {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    const g = m.groups!;
    let html: string | null = null;
    if (g.code) {
      const fence = /^`+/.exec(g.code)![0].length;
      const inner = g.code.slice(fence, -fence);
      html = `<code>${escapeHtml(inner.length > 2 && inner.startsWith(' ') && inner.endsWith(' ') ? inner.slice(1, -1) : inner)}</code>`;
    } else if (g.link) {
      const url = safeUrl(g.lurl!);
      const label = renderInline(g.ltext!, null) || escapeHtml(url ?? '');
      html = url ? `<a href="${escapeHtml(url)}" rel="nofollow noopener noreferrer">${label}</a>` : label;
    } else if (g.page) {
      html = links ? `<a class="page-ref" href="${escapeHtml(links.page(g.slug!))}">${escapeHtml(g.slug!)}</a>` : null;
    } else if (g.auto) {
      const trimmed = g.auto.replace(/[.,;:!?)\]]+$/, '');
      html = `<a href="${escapeHtml(trimmed)}" rel="nofollow noopener noreferrer">${escapeHtml(trimmed)}</a>${escapeHtml(g.auto.slice(trimmed.length))}`;
    } else if (g.mention) {
      html = links ? `<span class="mention" data-handle="${escapeHtml(g.mention.slice(1).toLowerCase())}">${escapeHtml(g.mention)}</span>` : null;
    } else if (g.ref) {
      const id = Number(g.rid);
      if (links && id >= 1 && id <= MAX_ID) {
        const href = g.rkind === 's' ? links.submission(id) : links.post(id);
        html = `<a class="${g.rkind === 's' ? 'submission-ref' : 'post-ref'}" href="${escapeHtml(href)}">${escapeHtml(g.ref)}</a>`;
      }
    }
    if (html === null) continue; // not a token here (e.g. a reference inside link text): stays text
    out += emphasise(escapeHtml(text.slice(last, m.index))) + html;
    last = m.index + m[0].length;
  }
  return (out + emphasise(escapeHtml(text.slice(last)))).replace(/\n/g, '<br>\n');
}

/** Emphasis on already-escaped text: `*` and `_` survive escaping and produce only fixed tags. */
function emphasise(escaped: string): string {
  return escaped
    .replace(/\*\*(?=\S)([^*\n]*?\S)\*\*/g, '<strong>$1</strong>')
    .replace(/__(?=\S)([^_\n]*?\S)__/g, '<strong>$1</strong>')
    .replace(/(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])/g, '<em>$1</em>')
    .replace(/(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])/g, '<em>$1</em>');
}
