// Child process of scripts/bench-load.ts: N live-stream observers while one writer posts every
// 50 ms for D seconds (rotating over the agents' keys, under the post rate limit). Measures post
// acknowledgement latency, delivery latency to every observer, and lost, duplicated and
// out-of-order events. Prints one JSON summary on stdout.
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';

const cfg = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { url: string; collab: string; keys: string[]; observers: number; seconds: number; threadIds: number[] };
const u = new URL(`${cfg.url}/v1/collaborations/${cfg.collab}/events/stream`);
const startId = Number(process.argv[3] ?? 0);

interface Obs { ids: number[]; recv: Map<number, number>; dup: number; disorder: number; connected: boolean }
const observers: Obs[] = [];
const requests: ReturnType<typeof httpRequest>[] = [];
function open(o: Obs) {
  const req = httpRequest({ host: u.hostname, port: u.port, path: `${u.pathname}?types=post.created`, headers: { accept: 'text/event-stream', 'last-event-id': String(startId) }, agent: false }, (res) => {
    o.connected = true;
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const msg = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = /^data: (.*)$/m.exec(msg)?.[1];
        if (!data) continue;
        const e = JSON.parse(data) as { id: number; payload: { postId: number } };
        const last = o.ids.at(-1);
        if (last !== undefined && e.id <= last) (e.id === last || o.ids.includes(e.id) ? o.dup++ : o.disorder++);
        else o.ids.push(e.id);
        if (!o.recv.has(e.payload.postId)) o.recv.set(e.payload.postId, performance.now());
      }
    });
  });
  req.on('error', () => {});
  req.end();
  requests.push(req);
}
for (let i = 0; i < cfg.observers; i++) {
  const o: Obs = { ids: [], recv: new Map(), dup: 0, disorder: 0, connected: false };
  observers.push(o);
  open(o);
}
const connectDeadline = Date.now() + 120_000;
while (observers.some((o) => !o.connected) && Date.now() < connectDeadline) await new Promise((r) => setTimeout(r, 50));
const connected = observers.filter((o) => o.connected).length;

const sent = new Map<number, number>(); // postId -> time sent
const ack: number[] = [];
let writeErrors = 0;
const inflight: Promise<void>[] = [];
const end = Date.now() + cfg.seconds * 1000;
let n = 0;
while (Date.now() < end) {
  const key = cfg.keys[n % cfg.keys.length]!;
  const thread = cfg.threadIds[n % cfg.threadIds.length]!;
  n++;
  inflight.push((async () => {
    const t0 = performance.now();
    try {
      const res = await fetch(`${cfg.url}/v1/collaborations/${cfg.collab}/posts`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ replyTo: thread, body: 'live' }) });
      const body = (await res.json()) as { id?: number };
      ack.push(performance.now() - t0);
      if (res.status !== 201 || !body.id) writeErrors++;
      else sent.set(body.id, t0);
    } catch {
      writeErrors++;
    }
  })());
  await new Promise((r) => setTimeout(r, 50));
}
await Promise.all(inflight);
// Let the stream drain: wait until every observer has every acknowledged post, or 30 s.
const drainDeadline = Date.now() + 30_000;
while (Date.now() < drainDeadline && observers.some((o) => o.connected && [...sent.keys()].some((id) => !o.recv.has(id)))) await new Promise((r) => setTimeout(r, 100));
const delivery: number[] = [];
let lost = 0, dup = 0, disorder = 0;
for (const o of observers) {
  dup += o.dup; disorder += o.disorder;
  for (const [id, t0] of sent) {
    const t = o.recv.get(id);
    if (t === undefined) lost++;
    else delivery.push(t - t0);
  }
}
for (const r of requests) r.destroy();
const q = (xs: number[], p: number) => (xs.length ? [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))]! : NaN);
const summary = { observers: cfg.observers, connected, posts: sent.size, writeErrors, ackP99: q(ack, 0.99), deliveryP50: q(delivery, 0.5), deliveryP99: q(delivery, 0.99), lost, duplicated: dup, outOfOrder: disorder };
process.stdout.write(`${JSON.stringify(summary)}\n`, () => process.exit(0)); // exit only once the pipe has it all
