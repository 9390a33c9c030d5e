#!/usr/bin/env node
// The `agora` entry point. The compile cache (Node >= 22.1) keeps the type-stripped modules of
// every package between runs, which roughly halves start-up; the CLI itself is in cli.ts.
import { enableCompileCache } from 'node:module';

enableCompileCache?.();
// `npm run agora -- ...` runs in the repository root; paths the user typed are relative to where they typed them.
if (process.env.npm_lifecycle_event === 'agora' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
