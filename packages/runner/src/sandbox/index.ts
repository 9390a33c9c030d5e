export * from './sandbox.ts';
export { sandboxExecPrefix, EXEC_SCRIPT, type ExecPrefixOptions } from './exec.ts';
