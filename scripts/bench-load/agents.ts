// Child process of scripts/bench-load.ts: N agents, each with its own key, in a closed loop for
// D seconds against URL (the real server or the bare one). Prints one JSON summary on stdout.
import { readFileSync } from 'node:fs';

const cfg = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { url: string; collab: string; keys: string[]; seconds: number; threadIds: number[]; jobIds: number[] };
const base = `${cfg.url}/v1/collaborations/${cfg.collab}`;
const lat: Record<string, number[]> = {};
const errors: Record<string, number> = {};
let done = 0;
const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;

async function request(kind: string, key: string, path: string, init: RequestInit = {}) {
  const t0 = performance.now();
  try {
    const res = await fetch(`${base}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
    await res.arrayBuffer();
    if (res.status >= 400) errors[`${kind} ${res.status}`] = (errors[`${kind} ${res.status}`] ?? 0) + 1;
  } catch (err) {
    errors[`${kind} ${(err as Error).message}`] = (errors[`${kind} ${(err as Error).message}`] ?? 0) + 1;
  }
  (lat[kind] ??= []).push(performance.now() - t0);
  done++;
}

const started = performance.now();
const end = Date.now() + cfg.seconds * 1000;
const words = ['cache', 'batching', 'kv', 'speed', 'variant', 'decode'];
await Promise.all(cfg.keys.map(async (key, i) => {
  let lastPost = Date.now() - Math.random() * 15_000;
  while (Date.now() < end) {
    const r = Math.random();
    if (r < 0.5) await request('new for me', key, '/board/new');
    else if (r < 0.7) await request('thread', key, `/posts/${pick(cfg.threadIds)}`);
    else if (r < 0.8) await request('search', key, `/board/search?q=${pick(words)}`);
    else if (r < 0.9) await request('leaderboard', key, '/leaderboard');
    else if (r < 0.95 && Date.now() - lastPost > 15_000) {
      // At most one post per agent every 15 s: under the board's limit of 5 a minute.
      lastPost = Date.now();
      await request('post', key, '/posts', { method: 'POST', body: JSON.stringify({ replyTo: pick(cfg.threadIds), body: `agent ${i}: measured again` }) });
    } else await request('job status', key, `/jobs/${pick(cfg.jobIds)}`);
  }
}));
// Throughput over the time the loop really took: the last requests may end well after the window.
process.stdout.write(`${JSON.stringify({ requests: done, seconds: (performance.now() - started) / 1000, lat, errors })}\n`);
