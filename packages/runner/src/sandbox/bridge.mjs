// In-sandbox half of the loopback port bridge (see bridge.ts and README.md).
// Runs INSIDE the sandbox's network namespace, beside the submission:
//
//   node /agora/bridge.mjs SOCKDIR PORT[,PORT...]...
//
// For each PORT it keeps a few idle ("spare") connections open to the host's
// Unix socket SOCKDIR/PORT.sock. The host hands each accepted TCP connection to
// one spare by writing one byte ('G'); we then connect to 127.0.0.1:PORT here,
// answer 'K' once connected and pipe bytes both ways. If the connection is
// refused (the server is not up yet) we just close the Unix connection: the
// host resets its TCP client, which sees a failed connection and can retry.
// Plain JavaScript (no type stripping needed), no dependencies.

import net from 'node:net';
import path from 'node:path';

const [sockDir, ...args] = process.argv.slice(2);
const ports = args.flatMap((a) => a.split(',')).filter(Boolean);
const SPARES = 2;

function spare(port, state) {
  state.pending++;
  const unix = net.connect({ path: path.join(sockDir, `${port}.sock`), allowHalfOpen: true });
  let activated = false;
  let connected = false;
  const replace = (delay) => {
    state.pending--;
    setTimeout(() => fill(port, state), delay);
  };
  unix.on('connect', () => {
    connected = true;
  });
  unix.on('error', () => {});
  // allowHalfOpen: an EOF alone does not close the socket; an idle spare that ends is dead.
  unix.on('end', () => {
    if (!activated) unix.destroy();
  });
  unix.on('close', () => {
    // A spare that never got a client: the host is gone or restarting; retry slowly.
    if (!activated) replace(connected ? 10 : 200);
  });
  unix.once('data', (chunk) => {
    activated = true;
    replace(0);
    unix.pause();
    const rest = chunk.subarray(1);
    const inner = net.connect({ host: '127.0.0.1', port: Number(port), allowHalfOpen: true, noDelay: true });
    inner.on('error', () => unix.destroy());
    unix.on('error', () => inner.destroy());
    // An abrupt end on one side aborts the other; a clean end is passed on by pipe().
    unix.on('close', (hadError) => hadError && inner.destroy());
    inner.on('close', (hadError) => hadError && unix.destroy());
    inner.on('connect', () => {
      unix.write('K');
      if (rest.length) inner.write(rest);
      unix.pipe(inner);
      inner.pipe(unix);
    });
  });
}

function fill(port, state) {
  while (state.pending < SPARES) spare(port, state);
}

for (const port of ports) fill(port, { pending: 0 });
