#!/usr/bin/env node
import { Command } from 'commander';
import { loadersFor } from './commands/index.js';
import { shoalVersion } from './version.js';

const program = new Command('shoal')
  .description('shoal: a self-hosted autoscaling web stack (app, proxy, autoscaler, status, URL fuzzer and load generator)')
  .version(shoalVersion(), '-V, --version')
  // Usage errors (unknown flag, missing value) exit 2 like every other bad input.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

for (const register of await Promise.all(loadersFor(process.argv.slice(2)).map((load) => load()))) register(program);

await program.parseAsync(process.argv);
