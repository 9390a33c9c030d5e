export * from './types.ts';
export { cacheEnv, SANDBOX_PATHS } from './paths.ts';
export { sandboxArgv } from './argv.ts';
export { sandboxIdentity, type HostIdentity } from './identity.ts';
export { findExecutable, probeSandbox, probeSandboxSync } from './probe.ts';
export { spawnSandboxed } from './sandbox.ts';
export { sandboxExecPrefix, EXEC_SCRIPT, type ExecPrefixOptions } from './exec.ts';
