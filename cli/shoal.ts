#!/usr/bin/env node
import { Command } from 'commander';
import { commands, commandsFor } from './commands/index.js';

const program = new Command('shoal')
  .description('shoal: a self-hosted autoscaling web stack (app, proxy, autoscaler, status, URL fuzzer and load generator)')
  // Usage errors (unknown flag, missing value) exit 2 like every other bad input.
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

const argv = process.argv.slice(2);
for (const register of await Promise.all(commandsFor(argv).map((name) => commands[name]!()))) register(program);

await program.parseAsync(process.argv);
