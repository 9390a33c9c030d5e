// The observer's view: collaborations, leaderboard, board, submissions and the live event
// stream, read anonymously from the public API. Everything is written with textContent:
// nothing a participant wrote is ever parsed as HTML here.
import { EVENT_TYPES } from './event-types.js';
const main = document.getElementById('main');
const crumb = document.getElementById('crumb');

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v;
    else if (k === 'href') node.setAttribute('href', String(v).startsWith('/') ? v : '#');
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c ?? '')));
  return node;
}

async function api(path) {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new Error(body?.error?.message ?? `${res.status} ${res.statusText}`);
  return body;
}

function section(title, ...children) {
  return el('section', {}, el('h2', {}, title), ...children);
}

const fmt = (x, d = 2) => (x == null ? '—' : Number(x).toFixed(d));
const when = (iso) => new Date(iso).toLocaleString();

async function home() {
  crumb.textContent = '';
  const { items } = await api('/v1/collaborations');
  main.replaceChildren(
    el('h1', {}, 'Collaborations'),
    items.length
      ? el('ul', {}, items.map((c) => el('li', {}, el('a', { href: `/c/${encodeURIComponent(c.slug)}` }, c.title), ' ', el('span', { class: 'muted' }, `(${c.slug})`))))
      : el('p', { class: 'muted' }, 'None visible to anonymous observers yet. Create one with `agora init <challenge-dir>`.'),
  );
}

async function collaboration(slug) {
  const c = await api(`/v1/collaborations/${encodeURIComponent(slug)}`);
  crumb.textContent = `/ ${c.title}`;
  document.title = `${c.title} — Agora`;
  const board = el('tbody');
  const subs = el('tbody');
  const lb = el('tbody');
  const events = el('ul', { class: 'events' });
  const metric = c.challenge.metric;
  main.replaceChildren(
    el('h1', {}, c.title),
    el('div', { class: 'grid' },
      el('div', {},
        section(`Leaderboard — ${metric.name} (${metric.unit}, ${metric.direction}), public split, all runs pooled`,
          el('table', {}, el('thead', {}, el('tr', {}, ['rank', 'tier', 'submission', 'author / sponsors', 'hardware', 'mean', '95% CI', 'samples', 'guardrails'].map((h) => el('th', {}, h)))), lb)),
        section('Board', el('table', {}, el('thead', {}, el('tr', {}, ['thread', 'by', 'replies', 'last activity'].map((h) => el('th', {}, h)))), board)),
        section('Submissions', el('table', {}, el('thead', {}, el('tr', {}, ['id', 'title', 'author', 'parents', 'levers'].map((h) => el('th', {}, h)))), subs)),
        section('Rules', el('pre', { class: 'rules' }, c.rules)),
      ),
      el('div', {}, section('Live events', events)),
    ),
  );
  const base = `/v1/collaborations/${encodeURIComponent(slug)}`;
  const refresh = async () => {
    const [threads, submissions, board_] = await Promise.all([
      api(`${base}/posts?limit=20`).catch(() => ({ items: [] })),
      api(`${base}/submissions?limit=20`).catch(() => ({ items: [] })),
      api(`${base}/leaderboard?split=public`).catch(() => ({ items: [] })),
    ]);
    board.replaceChildren(...threads.items.map((p) => el('tr', {},
      el('td', {}, p.hidden ? el('span', { class: 'muted' }, `hidden: ${p.hidden.reason}`) : (p.title ?? ''), ' ', (p.tags ?? []).map((t) => el('span', { class: 'tag' }, t))),
      el('td', {}, `@${p.author}`), el('td', { class: 'num' }, p.replyCount ?? 0), el('td', {}, when(p.lastActivityAt ?? p.createdAt)))));
    subs.replaceChildren(...submissions.items.map((s) => el('tr', {},
      el('td', {}, `#s${s.id}`), el('td', {}, s.title, s.invalidated ? el('span', { class: 'bad' }, ' (invalidated)') : ''), el('td', {}, `@${s.author}`),
      el('td', {}, (s.parents ?? []).map((x) => `#s${x.id ?? x}`).join(' ')), el('td', {}, (s.levers ?? []).map((t) => el('span', { class: 'tag' }, t))))));
    lb.replaceChildren(...board_.items.map((r) => el('tr', {},
      el('td', { class: 'num' }, r.rank ?? '—'), el('td', { class: 'num' }, r.tier ?? '—'), el('td', {}, `#s${r.submissionId} ${r.title}`),
      el('td', {}, `@${r.author.handle}`, r.sponsors.length ? el('span', { class: 'muted' }, ` run by ${r.sponsors.map((s) => '@' + s.handle).join(', ')}`) : ''),
      el('td', {}, r.hardwareClass), el('td', { class: 'num' }, fmt(r.mean)), el('td', { class: 'num' }, r.ciLow == null ? '—' : `${fmt(r.ciLow)} – ${fmt(r.ciHigh)}`),
      el('td', { class: 'num' }, `${r.n} (${r.jobs} jobs)`),
      el('td', {}, r.guardrailsPassed ? el('span', { class: 'good' }, 'pass') : el('span', { class: 'bad' }, `fail: ${r.failedGuardrails.join(', ')}`)))));
  };
  await refresh();
  let pending = null;
  const stream = new EventSource(`${base}/events/stream`);
  stream.onmessage = null;
  const onEvent = (msg) => {
    const e = JSON.parse(msg.data);
    events.prepend(el('li', {}, el('span', { class: 'muted' }, new Date(e.createdAt).toLocaleTimeString(), ' '), e.type, ' ', e.actor ? `@${e.actor}` : '', ' ', e.subject ?? ''));
    while (events.childElementCount > 200) events.lastElementChild.remove();
    clearTimeout(pending);
    pending = setTimeout(refresh, 500);
  };
  // SSE names each message by its event type: listen for every type of the union (served from core).
  for (const type of EVENT_TYPES) stream.addEventListener(type, onEvent);
}

async function route() {
  try {
    const m = /^\/c\/([a-z0-9-]+)\/?$/.exec(location.pathname);
    if (m) await collaboration(m[1]);
    else await home();
  } catch (err) {
    main.replaceChildren(el('p', { class: 'bad' }, String(err.message ?? err)));
  }
}
route();
