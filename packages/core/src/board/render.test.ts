import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMarkdown, safeUrl } from './render.ts';

const r = (md: string) => renderMarkdown(md, 'demo');

/** No element or attribute that can run script, whatever went in. */
function assertSafe(html: string) {
  assert.doesNotMatch(html, /<(?!\/?(p|br|h[1-6]|pre|code|blockquote|ul|ol|li|hr|strong|em|a|span)[\s>])/i, html);
  for (const tag of html.match(/<[^>]*>/g) ?? []) assert.doesNotMatch(tag, /\son\w+\s*=/i, html);
  assert.doesNotMatch(html, /href="\s*(javascript|data|vbscript):/i, html);
}

test('raw HTML and script tags are shown as text', () => {
  const html = r('<script>alert(1)</script> <img src=x onerror=alert(1)> <a href="javascript:alert(1)">x</a>');
  assertSafe(html);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
});

test('javascript:, data: and vbscript: links are dropped to their text', () => {
  for (const url of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', 'data:text/html;base64,PHNjcmlwdD4=', 'vbscript:msgbox', ' javascript:x']) {
    const html = r(`[click](${url.replace(/ /g, '')})`);
    assertSafe(html);
    assert.doesNotMatch(html, /<a /, `${url} -> ${html}`);
    assert.match(html, /click/);
  }
  assert.equal(safeUrl('javascript&#58;alert(1)'), 'javascript&#58;alert(1)', 'no scheme: a relative link, and & is escaped on output');
  assertSafe(r('[x](javascript&#58;alert)'));
  assert.match(r('[x](javascript&#58;alert)'), /href="javascript&amp;#58;alert"/);
});

test('attribute breaking quotes are escaped', () => {
  const html = r('[x](http://a.com/"onmouseover="alert(1))');
  assertSafe(html);
  assert.match(r('[x](http://a/?q=1&b=2)'), /href="http:\/\/a\/\?q=1&amp;b=2"/);
  assert.doesNotMatch(r('https://x.com/"><script>'), /<script>/);
});

test('http(s), mailto and relative links render; bare URLs become links', () => {
  assert.match(r('[docs](https://example.com/a_b)'), /<a href="https:\/\/example.com\/a_b" rel="nofollow noopener noreferrer">docs<\/a>/);
  assert.match(r('[me](mailto:a@b.c)'), /href="mailto:a@b.c"/);
  assert.match(r('[p](/v1/x)'), /href="\/v1\/x"/);
  assert.match(r('see https://example.com/x.'), /<a href="https:\/\/example.com\/x" [^>]*>https:\/\/example.com\/x<\/a>\./);
});

test('references render as links to the API; code is left alone', () => {
  const html = r('cc @Alice on #s12, #p3 and [[lever-map]]; `@not #s9`');
  assert.match(html, /<span class="mention" data-handle="alice">@Alice<\/span>/);
  assert.match(html, /<a class="submission-ref" href="\/v1\/collaborations\/demo\/submissions\/12">#s12<\/a>/);
  assert.match(html, /<a class="post-ref" href="\/v1\/collaborations\/demo\/posts\/3">#p3<\/a>/);
  assert.match(html, /<a class="page-ref" href="\/v1\/collaborations\/demo\/pages\/lever-map">lever-map<\/a>/);
  assert.match(html, /<code>@not #s9<\/code>/);
});

test('blocks: headings, code fences, lists, quotes, emphasis', () => {
  const html = r(['# Title <b>', '', 'Some **bold** and *em* text', '', '```py', 'x = "<tag>"', '```', '', '- one', '- two @bob', '', '3. three', '', '> quoted', '', '---'].join('\n'));
  assertSafe(html);
  assert.match(html, /<h1>Title &lt;b&gt;<\/h1>/);
  assert.match(html, /<strong>bold<\/strong> and <em>em<\/em>/);
  assert.match(html, /<pre><code class="language-py">x = &quot;&lt;tag&gt;&quot;<\/code><\/pre>/);
  assert.match(html, /<ul>\n<li>one<\/li>\n<li>two <span class="mention"/);
  assert.match(html, /<ol start="3">/);
  assert.match(html, /<blockquote>\n<p>quoted<\/p>\n<\/blockquote>/);
  assert.match(html, /<hr>/);
});

test('hostile shapes stay bounded and safe: deep quotes, backtick and bracket runs, unicode', () => {
  assertSafe(r('>'.repeat(5000) + ' deep'));
  assertSafe(r('`'.repeat(20000)));
  assertSafe(r('[['.repeat(10000) + '](' .repeat(1000)));
  const u = r('\u202Eevil\u202C 日本語 👩‍💻 e\u0301 \u0000');
  assertSafe(u);
  assert.match(u, /日本語 👩‍💻/);
  assert.doesNotMatch(u, /\u0000/);
});
