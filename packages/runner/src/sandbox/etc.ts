// The synthetic /etc: passwd, group, hosts and hostname naming the sandbox user, plus the few
// harmless host /etc entries programs need (the dynamic loader's cache, the time zone, ...).

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SANDBOX_GID, SANDBOX_PATHS, SANDBOX_UID } from './paths.ts';

/** Host /etc entries a program may need; nothing secret (no shadow, ssl/private, ...). */
export const ETC_FILES = [
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'alternatives',
  'localtime',
  'nsswitch.conf',
  'os-release',
];

let fakeEtcDir: string | null = null;

/**
 * passwd/group/hosts naming the sandbox user. Kept in one directory per uid
 * and content (not one per process: exec.ts runs once per submission), which
 * is only trusted if we own it and nobody else can write to it.
 */
export function fakeEtc(): string {
  if (fakeEtcDir && fs.existsSync(fakeEtcDir)) return fakeEtcDir;
  const files: Record<string, string> = {
    passwd:
      'root:x:0:0:root:/root:/usr/sbin/nologin\n' +
      `agora:x:${SANDBOX_UID}:${SANDBOX_GID}:agora submission:${SANDBOX_PATHS.scratch}:/bin/sh\n` +
      'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
    group: `root:x:0:\nagora:x:${SANDBOX_GID}:\nnogroup:x:65534:\n`,
    hosts: '127.0.0.1\tlocalhost agora-sandbox\n::1\tlocalhost\n',
    hostname: 'agora-sandbox\n',
  };
  const hash = createHash('sha256').update(JSON.stringify(files)).digest('hex').slice(0, 12);
  const uid = process.getuid?.() ?? 0;
  const dir = path.join(os.tmpdir(), `agora-sandbox-etc-${uid}-${hash}`);
  const trusted = (d: string) => {
    const st = fs.lstatSync(d, { throwIfNoEntry: false });
    if (!st || !st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0) return false;
    return Object.entries(files).every(([n, t]) => {
      try {
        const f = fs.lstatSync(path.join(d, n));
        return f.isFile() && f.uid === uid && (f.mode & 0o022) === 0 && fs.readFileSync(path.join(d, n), 'utf8') === t;
      } catch {
        return false;
      }
    });
  };
  if (trusted(dir)) return (fakeEtcDir = dir);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'agora-sandbox-etc-'));
  fs.chmodSync(tmp, 0o755);
  for (const [name, text] of Object.entries(files)) {
    fs.writeFileSync(path.join(tmp, name), text, { mode: 0o644 });
  }
  try {
    fs.renameSync(tmp, dir);
  } catch {
    // Lost a race with another runner (fine if theirs is trusted) or the name is
    // squatted by someone else: then use our private copy.
    if (trusted(dir)) {
      fs.rmSync(tmp, { recursive: true, force: true });
      return (fakeEtcDir = dir);
    }
    return (fakeEtcDir = tmp);
  }
  return (fakeEtcDir = dir);
}
