#!/usr/bin/env node
// The `agora` entry point. The compile cache (Node >= 22.1) keeps the type-stripped modules of
// every package between runs, which roughly halves start-up; the CLI itself is in cli.ts.
import { enableCompileCache } from 'node:module';

enableCompileCache?.();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
