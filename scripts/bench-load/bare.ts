// Child process of scripts/bench-load.ts: a bare node:http server answering the same payloads
// from memory (captured from the real server), the ceiling the real one is compared with.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const { payloads } = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { payloads: Record<string, { status: number; body: string }> };
const server = createServer((req, res) => {
  const path = (req.url ?? '/').replace(/\?.*$/, '').replace(/\/posts\/\d+$/, '/posts/:id').replace(/\/jobs\/\d+$/, '/jobs/:id');
  const p = payloads[`${req.method} ${path}`];
  req.resume();
  req.on('end', () => {
    if (!p) { res.writeHead(404).end(); return; }
    res.writeHead(p.status, { 'content-type': 'application/json' }).end(p.body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
