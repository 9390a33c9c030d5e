// Who the submission is on the host. A runner that is not root: the runner's own uid (a user
// namespace maps the sandbox's uid 1000 to it). A root runner: never root, but an unprivileged
// host uid (AGORA_SANDBOX_UID, default 65534 "nobody"), which owns nothing on the host, so files
// that are root's, /proc/sys among them, are out of its reach even where a mount lets them show.

import fs from 'node:fs';
import path from 'node:path';

export interface HostIdentity {
  uid: number;
  gid: number;
}

/** The unprivileged host identity a root runner's submission runs as; null when the runner is not root. */
export function sandboxIdentity(env: NodeJS.ProcessEnv = process.env): HostIdentity | null {
  if (process.getuid?.() !== 0) return null;
  const id = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n === 0 || n > 0xfffffffe) throw new Error(`${name} must be a non-zero uid/gid, got ${JSON.stringify(raw)}`);
    return n;
  };
  const uid = id('AGORA_SANDBOX_UID', 65534);
  return { uid, gid: id('AGORA_SANDBOX_GID', uid) };
}

/**
 * Hand a tree the runner made for this submission (its bundle, read-only inside; its cache,
 * read-write) to the sandbox's host identity, so the unprivileged submission can read (and, for the
 * cache, write) it whatever modes the runner or the archive gave it. lchown, never following links:
 * the cache may hold links the submission planted.
 */
export function grantTree(dir: string, who: HostIdentity): void {
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.uid !== who.uid || st.gid !== who.gid) fs.lchownSync(p, who.uid, who.gid);
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) walk(path.join(p, name));
  };
  walk(path.resolve(dir));
}

/**
 * Clear the set-uid and set-gid bits of every file in a tree the submission wrote and the host
 * keeps (its cache), once the run is over: nothing the submission leaves behind runs with its
 * owner's rights on the host. Called after the whole tree is dead, so nothing can race the walk.
 */
export function disarmTree(dir: string): void {
  const walk = (p: string) => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) walk(path.join(p, name));
    else if (st.isFile() && st.mode & 0o6000) fs.chmodSync(p, st.mode & 0o1777);
  };
  walk(path.resolve(dir));
}

/**
 * Throws unless the sandbox's host identity can read `p` (a read-only bind the runner does not own,
 * such as a model directory or a virtualenv): a clear refusal before the run, rather than a
 * submission that fails on EACCES inside. Only the bound directory itself is checked.
 */
export function assertReadable(p: string, who: HostIdentity): void {
  const st = fs.statSync(p);
  const need = st.isDirectory() ? 0o5 : 0o4;
  const bits = st.uid === who.uid ? (st.mode >> 6) & 7 : st.gid === who.gid ? (st.mode >> 3) & 7 : st.mode & 7;
  if ((bits & need) !== need) {
    throw new Error(
      `sandbox: ${p} (mode ${(st.mode & 0o7777).toString(8)}) is not readable by the sandbox user, host uid ${who.uid}: ` +
        'a root runner never runs a submission as root; make it readable by others (chmod o+rx) or set AGORA_SANDBOX_UID',
    );
  }
}
