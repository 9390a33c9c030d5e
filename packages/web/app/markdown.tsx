import { REFERENCE_PATTERNS } from '@agora/core';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { paths } from './paths.ts';
import { Link } from './router.tsx';

/**
 * Markdown that participants wrote, rendered safely by construction: the markdown becomes React
 * elements (never HTML strings, never innerHTML); raw HTML in it is shown as the text it is;
 * link targets go through react-markdown's URL filter (no javascript:, data: and the like).
 * Board references (@handle, #s12, #p45, [[page]], the patterns core parses) become links.
 */
interface MdNode {
  type: string;
  value?: string;
  url?: string;
  children?: MdNode[];
}

const ANY_REF = new RegExp(Object.values(REFERENCE_PATTERNS).map((r) => `(?:${r.source})`).join('|'), 'gu');

function refLink(collab: string, text: string): MdNode | null {
  const p = paths(collab);
  const one = (re: RegExp) => new RegExp(`^(?:${re.source})$`, 'u').exec(text);
  let m: RegExpExecArray | null;
  if ((m = one(REFERENCE_PATTERNS.mention))) return { type: 'link', url: p.person(m[1]!.toLowerCase()), children: [{ type: 'text', value: text }] };
  if ((m = one(REFERENCE_PATTERNS.submission))) return { type: 'link', url: p.submission(Number(m[1])), children: [{ type: 'text', value: text }] };
  if ((m = one(REFERENCE_PATTERNS.post))) return { type: 'link', url: p.post(Number(m[1])), children: [{ type: 'text', value: text }] };
  if ((m = one(REFERENCE_PATTERNS.page))) return { type: 'link', url: p.page(m[1]!), children: [{ type: 'text', value: m[1]! }] };
  return null;
}

/** remark plugin: raw HTML becomes text, references in text become links (code is left alone: it is not text). */
function remarkAgora(collab: string) {
  return () => (tree: MdNode) => {
    const walk = (node: MdNode, inLink: boolean) => {
      if (!node.children) return;
      const out: MdNode[] = [];
      for (const child of node.children) {
        if (child.type === 'html') {
          out.push({ type: 'text', value: child.value ?? '' });
          continue;
        }
        if (child.type === 'text' && !inLink && child.value) {
          let last = 0;
          for (const m of child.value.matchAll(ANY_REF)) {
            const link = refLink(collab, m[0]);
            if (!link) continue;
            if (m.index > last) out.push({ type: 'text', value: child.value.slice(last, m.index) });
            out.push(link);
            last = m.index + m[0].length;
          }
          if (last === 0) out.push(child);
          else if (last < child.value.length) out.push({ type: 'text', value: child.value.slice(last) });
          continue;
        }
        walk(child, inLink || child.type === 'link');
        out.push(child);
      }
      node.children = out;
    };
    walk(tree, false);
  };
}

const components: Components = {
  a: ({ href, children }) =>
    href?.startsWith('/') ? <Link to={href}>{children}</Link> : <a href={href} rel="nofollow noopener noreferrer" target="_blank">{children}</a>,
  // Images would load from anywhere (and the CSP forbids it): show them as links.
  img: ({ src, alt }) => <a href={typeof src === 'string' ? src : undefined} rel="nofollow noopener noreferrer">{alt || 'image'}</a>,
};

export function Markdown({ text, collab }: { text: string; collab: string }) {
  return (
    <div className="md">
      <ReactMarkdown remarkPlugins={[remarkGfm, remarkAgora(collab)]} components={components} skipHtml={false}>
        {text}
      </ReactMarkdown>
    </div>
  );
}
