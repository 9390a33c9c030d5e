// Fixed names inside the sandbox: where the bundle, scratch and caches appear, the sandbox user,
// and the variables a cache directory sets.

import fs from 'node:fs';
import path from 'node:path';

/** Fixed paths inside the sandbox. */
export const SANDBOX_PATHS = { bundle: '/submission', scratch: '/scratch', cache: '/cache', pycache: '/pycache', node: '/agora/node' } as const;

/** The variables a cacheDir sets, for a cache at `dir` (/cache inside the sandbox). */
export function cacheEnv(dir: string): Record<string, string> {
  return {
    AGORA_CACHE_DIR: dir,
    XDG_CACHE_HOME: dir,
    TORCHINDUCTOR_CACHE_DIR: `${dir}/torchinductor`,
    TRITON_CACHE_DIR: `${dir}/triton`,
    CUDA_CACHE_PATH: `${dir}/nv`,
    // Python's bytecode: the interpreters GPU hosts bring are read-only in the sandbox and often ship no
    // .pyc files, so without this every job compiles torch and transformers again (measured on the H100:
    // imports 15-17 s a job, 7.7 s once this cache is warm)
    PYTHONPYCACHEPREFIX: `${dir}/python`,
  };
}

export const SANDBOX_UID = 1000;
export const SANDBOX_GID = 1000;

/** Directory of the Node binary running us (real path): bound at SANDBOX_PATHS.node, so `node` works inside. */
export function nodeBinDir(): string {
  return path.dirname(fs.realpathSync(process.execPath));
}

/** The Node binary running us, as the sandbox sees it. */
export function sandboxNode(): string {
  return path.posix.join(SANDBOX_PATHS.node, path.basename(fs.realpathSync(process.execPath)));
}
