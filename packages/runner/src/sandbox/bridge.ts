// Host half of the loopback port bridge (spec.forwardPorts). See README.md and
// docs/decisions/0020-sandbox.md, "Loopback port bridge".
//
// The sandbox has its own network namespace, so a server the submission starts
// on 127.0.0.1:P is unreachable from the host. For each forwarded port P:
//
//   host client --TCP--> host 127.0.0.1:P (here) --Unix socket SOCKDIR/P.sock-->
//     bridge.mjs (inside the sandbox) --TCP--> 127.0.0.1:P inside the sandbox
//
// The HOST listens on the Unix socket (created in a fresh host directory before
// the sandbox starts, bound read-only into it at /agora/ports), and the
// in-sandbox bridge keeps a couple of idle connections to it. So the host never
// resolves a path the submission can change (no symlink games), and whatever
// the submission does to the bridge only affects its own port.
//
// Per host TCP connection: take an idle bridge connection, write 'G'; the
// bridge connects to 127.0.0.1:P inside and answers 'K', then both sides pipe
// bytes. If the inner connect fails (server not up yet) the bridge closes its
// Unix connection before 'K' and we RESET the host TCP connection, so a client
// polling for readiness sees a failed connection and retries.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostIdentity } from './identity.ts';

/** The in-sandbox script (bound read-only at BRIDGE_PATHS.script). */
export const BRIDGE_SCRIPT = fileURLToPath(new URL('./bridge.mjs', import.meta.url));

/** Fixed paths inside the sandbox. */
export const BRIDGE_PATHS = { script: '/agora/bridge.mjs', sockets: '/agora/ports' } as const;

/** Tasks (threads) the bridge's Node process needs, added to the process limit. */
export const BRIDGE_TASKS = 6;
/** Memory allowance for the bridge's Node process, added to the memory limit. */
export const BRIDGE_MEMORY_MB = 32;
/** Node flags for the bridge: few threads (4 with a zero V8 pool), small heap. */
export const BRIDGE_NODE_FLAGS = ['--v8-pool-size=0', '--max-old-space-size=16'];

/** How long a host TCP connection waits for an idle bridge connection before it is reset. */
const PAIR_TIMEOUT_MS = 5_000;
/** Idle bridge connections kept per port; more are closed (the bridge keeps 2). */
const MAX_IDLE = 8;
/** Unix connections per port (idle + active): a submission flooding the socket cannot exhaust the host's fds. */
const MAX_UNIX_CONNECTIONS = 512;

export function validatePorts(ports: unknown): number[] {
  if (!Array.isArray(ports)) throw new Error('sandbox: forwardPorts must be an array of port numbers');
  for (const p of ports) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`sandbox: forward port ${String(p)} is not a port number (1-65535)`);
  }
  if (new Set(ports).size !== ports.length) throw new Error('sandbox: forwardPorts lists a port twice');
  return ports as number[];
}

/**
 * Synchronously check that 127.0.0.1:P can be listened on for every port, so a
 * taken port fails before the submission starts (spawnSandboxed is synchronous;
 * Node's listen is not, hence a short child process).
 */
export function assertPortsFree(ports: number[]): void {
  if (ports.length === 0) return;
  const script = `
    const net = require('net');
    const ports = JSON.parse(process.argv[1]);
    const servers = [];
    (async () => {
      for (const port of ports) {
        const s = net.createServer();
        const err = await new Promise((res) => { s.once('error', res); s.listen({ host: '127.0.0.1', port, exclusive: true }, () => res(null)); });
        if (err) { process.stdout.write(JSON.stringify({ port, code: err.code, message: err.message })); process.exit(1); }
        servers.push(s);
      }
      process.exit(0);
    })();`;
  const r = spawnSync(process.execPath, ['-e', script, JSON.stringify(ports)], { encoding: 'utf8', timeout: 10_000 });
  if (r.status === 0) return;
  let detail = (r.stderr || r.error?.message || `exit ${r.status}`).trim();
  try {
    const j = JSON.parse(r.stdout) as { port: number; code: string; message: string };
    detail =
      j.code === 'EADDRINUSE'
        ? `port ${j.port} is already in use on the host's 127.0.0.1`
        : `cannot listen on the host's 127.0.0.1:${j.port} (${j.message})`;
  } catch {}
  throw new Error(`sandbox: cannot forward ports: ${detail}; the submission was not started`);
}

export interface HostBridge {
  /** Host directory holding P.sock, bound read-only at BRIDGE_PATHS.sockets. */
  sockDir: string;
  /** Resolves when every host listener is up; rejects with a clear message otherwise. */
  ready: Promise<void>;
  /** Stop listening, drop every connection, remove sockDir. */
  close(): Promise<void>;
}

/** Create the socket directory and start the host listeners (TCP 127.0.0.1:P and SOCKDIR/P.sock). */
export function startHostBridge(ports: number[], owner: HostIdentity | null = null): HostBridge {
  const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-bridge-'));
  fs.chmodSync(sockDir, 0o700);
  // A root runner's submission is an unprivileged uid: the directory and sockets are handed to it
  // (connect() needs write permission on the socket), and stay closed to every other host user.
  if (owner) fs.chownSync(sockDir, owner.uid, owner.gid);
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const listening: Promise<void>[] = [];

  for (const port of ports) {
    const idle: net.Socket[] = [];
    const waiting: net.Socket[] = [];

    const pair = () => {
      while (waiting.length > 0 && idle.length > 0) {
        const tcp = waiting.shift()!;
        if (tcp.destroyed) continue;
        const unix = idle.shift()!;
        connect(tcp, unix);
      }
    };

    const unixServer = net.createServer({ allowHalfOpen: true }, (unix) => {
      track(unix);
      if (idle.length >= MAX_IDLE) {
        unix.destroy();
        return;
      }
      idle.push(unix);
      // allowHalfOpen: an EOF alone does not close the socket; an idle or
      // not-yet-acknowledged bridge connection that ends is dead.
      unix.on('end', () => {
        if (!(unix as AckedSocket).agoraAcked) unix.destroy();
      });
      unix.on('close', () => {
        const i = idle.indexOf(unix);
        if (i >= 0) idle.splice(i, 1);
      });
      pair();
    });
    unixServer.maxConnections = MAX_UNIX_CONNECTIONS;

    // noDelay: no Nagle delay on streamed responses (token-by-token SSE).
    const tcpServer = net.createServer({ allowHalfOpen: true, noDelay: true }, (tcp) => {
      track(tcp);
      const timer = setTimeout(() => {
        const i = waiting.indexOf(tcp);
        if (i >= 0) waiting.splice(i, 1);
        tcp.resetAndDestroy();
      }, PAIR_TIMEOUT_MS);
      timer.unref();
      tcp.once('close', () => clearTimeout(timer));
      (tcp as net.Socket & { agoraTimer?: NodeJS.Timeout }).agoraTimer = timer;
      waiting.push(tcp);
      pair();
    });

    servers.push(unixServer, tcpServer);
    const sockPath = path.join(sockDir, `${port}.sock`);
    listening.push(
      new Promise<void>((resolve, reject) => {
        unixServer.once('error', (e) => reject(new Error(`sandbox: cannot create the bridge socket ${sockPath}: ${e.message}`)));
        unixServer.listen(sockPath, () => {
          try {
            if (owner) fs.chownSync(sockPath, owner.uid, owner.gid);
            resolve();
          } catch (e) {
            reject(new Error(`sandbox: cannot hand the bridge socket ${sockPath} to the sandbox user: ${(e as Error).message}`));
          }
        });
      }),
      new Promise<void>((resolve, reject) => {
        tcpServer.once('error', (e: NodeJS.ErrnoException) =>
          reject(
            new Error(
              e.code === 'EADDRINUSE'
                ? `sandbox: cannot forward port ${port}: it is already in use on the host's 127.0.0.1`
                : `sandbox: cannot forward port ${port}: listening on the host's 127.0.0.1:${port} failed (${e.message})`,
            ),
          ),
        );
        tcpServer.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
      }),
    );
  }

  const ready = Promise.all(listening).then(() => undefined);
  ready.catch(() => {});

  let closing: Promise<void> | null = null;
  return {
    sockDir,
    ready,
    close() {
      closing ??= (async () => {
        // server.close() waits for open connections, so drop them right after
        // (close() first, so no new ones sneak in).
        const closed = servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              if (!s.listening) return resolve();
              s.close(() => resolve());
            }),
        );
        for (const s of sockets) s.destroy();
        await Promise.all(closed);
        fs.rmSync(sockDir, { recursive: true, force: true });
      })();
      return closing;
    },
  };
}

type AckedSocket = net.Socket & { agoraAcked?: boolean };

/** Hand a host TCP connection to an idle bridge connection. */
function connect(tcp: net.Socket, unix: net.Socket): void {
  clearTimeout((tcp as net.Socket & { agoraTimer?: NodeJS.Timeout }).agoraTimer);
  let acked = false;
  unix.on('close', (hadError) => {
    // Refused inside (no 'K') or aborted: reset the client, as a refused connect would.
    if (!acked || hadError) tcp.resetAndDestroy();
  });
  tcp.on('close', (hadError) => {
    if (hadError || !acked) unix.destroy();
  });
  unix.once('data', (chunk: Buffer) => {
    unix.pause();
    if (chunk[0] !== 0x4b /* K */) {
      unix.destroy();
      return;
    }
    acked = true;
    (unix as AckedSocket).agoraAcked = true;
    const rest = chunk.subarray(1);
    if (rest.length > 0) tcp.write(rest);
    tcp.pipe(unix);
    unix.pipe(tcp);
  });
  unix.write('G');
}
